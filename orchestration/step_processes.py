"""The job of a parallel run, rebuilt in its step processes (`cs360 run`, `cs360 demo`).

Dagster's multiprocess executor runs each step in a process of its own, which rebuilds
the job through `stage_job` (a reconstructable job). Building cs360's definitions (the
dbt manifest's ~500 nodes as assets) costs seconds, so a run's step processes fork from
a forkserver that imported `orchestration.step_processes_warm` and so built them once;
each step finds them here, for the home the run names.
"""

from __future__ import annotations

import os

from dagster import Definitions, JobDefinition

_built: dict[str, Definitions] = {}


def definitions(home: str | None = None) -> Definitions:
    """This process's definitions of `home` (default CS360_HOME), built once."""
    from orchestration.definitions import load_definitions

    home = home or os.environ.get("CS360_HOME", "")
    if home not in _built:
        _built[home] = load_definitions(home or None)
    return _built[home]


def stage_job(job_name: str, home: str) -> JobDefinition:
    return definitions(home).resolve_job_def(job_name)
