"""Runs whose process died stop holding the writer pool.

A `cs360 run` killed mid-step (SIGKILL, the OOM killer, a lost node) never reports its end:
the Dagster instance keeps the run STARTED and its `duckdb_writer` slot claimed, and every
later run waits on the pool for ever. `run_stage` tags its runs with the host and process
id; before a new run, the runs of this host whose process is gone are marked failed and
their slots freed. A process still alive (another `cs360 run`) keeps its slot.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

HOST_TAG = "cs360/host"
PID_TAG = "cs360/pid"
_UNFINISHED = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def process_tags() -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def release_dead_runs(instance: DagsterInstance, log: Callable[[str], None] = print) -> list[str]:
    """Fails the unfinished runs of this host whose process is gone; returns their ids."""
    released = []
    runs = instance.get_runs(RunsFilter(statuses=_UNFINISHED, tags={HOST_TAG: socket.gethostname()}))
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its process ({pid}) ended without finishing the run (killed?)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log(f"run {run.run_id} ({run.job_name}) was left unfinished by a process that died: marked failed, "
            "its writer slot freed")
        released.append(run.run_id)
    return released


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
