"""Runs a stage's Dagster job, recorded in the home's Dagster instance.

`cs360 run <stage>` and `cs360 sync` launch the jobs the schedules launch (`cs360_ingest`,
`cs360_sync`, ...), with the same selection rule (orchestration/launch.py), on the
instance in DAGSTER_HOME (the home's `dagster/` unless set): each run, its steps, logs and
materializations are in the UI's Runs. The steps execute in this process, so the command
prints their outcome and exits with it; its flags reach the steps as run config and tags.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import os

from dagster import (
    AssetKey, DagsterInstance, Definitions, JobExecutionResult, build_reconstructable_job, execute_job,
)

from cs360.dead_runs import process_tags, release_dead_runs
from cs360_core import killpoints
from cs360_core.settings import Home
from cs360_core.warehouse_lock import wait_for_warehouse
from orchestration.automation import STAGE_JOBS, ensure_writer_pool_limit
from orchestration.launch import NothingToRun, execute_in_instance, launch_selection
from orchestration.systems import SYSTEMS, System, unconfigured

__all__ = ["NothingToRun", "StageRun", "run_stage"]


@dataclass
class StageRun:
    job_name: str
    result: JobExecutionResult
    skipped: list[str]
    instance: DagsterInstance | None = field(default=None, repr=False)

    @property
    def success(self) -> bool:
        return self.result.success

    def failed_steps(self) -> list[str]:
        return [event.step_key for event in self.result.all_events if event.is_step_failure]

    def failures(self) -> dict[str, str]:
        """Failed step → its error's first line (e.g. the sync gate that blocked a sync)."""
        out = {}
        for event in self.result.all_events:
            if event.is_step_failure:
                error = getattr(event.event_specific_data, "error", None)
                message = (getattr(error, "message", None) or "").strip()
                out[event.step_key] = message.splitlines()[0] if message else ""
        return out

    def step_failures(self) -> dict[str, str]:
        """Failed step → its whole error message (`failures` keeps the first line)."""
        return {event.step_key: (getattr(getattr(event.event_specific_data, "error", None), "message", None)
                                 or "").strip()
                for event in self.result.all_events if event.is_step_failure}

    def step_messages(self, step_keys: Collection[str]) -> list[str]:
        """What those steps logged themselves (not Dagster's own events), in order, from the
        run's event log in the instance."""
        if self.instance is None:
            return []
        return [entry.user_message for entry in self.instance.all_logs(self.result.run_id)
                if not entry.is_dagster_event and entry.step_key in step_keys]

    def materialized(self) -> dict[str, dict]:
        """Materialized asset key (user string) → its metadata values."""
        return {event.asset_key.to_user_string(): {name: getattr(value, "value", value) for name, value in
                                                   event.step_materialization_data.materialization.metadata.items()}
                for event in self.result.get_asset_materialization_events()}


def run_stage(
    home: Home,
    stage: str,
    log: Callable[[str], None] = print,
    defs: Definitions | None = None,
    log_level: str = "INFO",
    systems: Sequence[System] = SYSTEMS,
    only: Collection[AssetKey] | None = None,
    step_config: Mapping[AssetKey, dict] | None = None,
    skipped: dict[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    parallel: bool = False,
) -> StageRun:
    """Runs the stage's job, leaving out unconfigured systems as the schedules do
    (orchestration/launch.py); `log_level` sets Dagster's console logger.
    `only`: run at most these of the job's assets; `step_config`: run config of an asset's
    step; `skipped`: the systems to leave out, when the caller decides (default: the
    unconfigured ones); `tags`: added to the run's. `parallel`: independent steps (the
    sources) run side by side, each in its own process (Dagster's multiprocess executor),
    on the registry's definitions of this home; writes still take the one writer slot."""
    from orchestration.definitions import build_definitions

    if skipped is None:
        skipped = unconfigured(tuple(systems))
    if stage == "ingest" and len(skipped) == len(systems):  # every ingest asset is a system's: say so at once
        for line in skipped.values():
            log(line)
        raise NothingToRun(f"{STAGE_JOBS[stage].name}: every system it needs is unconfigured, nothing to run")
    instance = DagsterInstance.get()
    if ensure_writer_pool_limit(instance):  # DAGSTER_HOME is not the home's: give it the limit
        log(f"Dagster instance {instance.root_directory}: writer pool limited to one step at a time")
    release_dead_runs(instance, log)
    in_processes = parallel and systems is SYSTEMS and defs is None  # step processes rebuild the registry's job
    if in_processes:
        from orchestration.step_processes import definitions
        defs = definitions(str(home.root))  # the object the job is rebuilt from in this process
    defs = defs or build_definitions(home, systems)
    job = defs.resolve_job_def(STAGE_JOBS[stage].name)
    for line in skipped.values():
        log(line)
    launch = launch_selection(job, defs.resolve_asset_graph(), systems, skipped=skipped)
    selection = [key for key in launch.selection if only is None or key in only]
    if not selection:  # an empty selection would mean "everything" to Dagster
        raise NothingToRun(f"{job.name}: every system it needs is unconfigured, nothing to run")
    ops = {key.to_python_identifier(): {"config": config}
           for key, config in (step_config or {}).items() if key in selection}
    wait_for_warehouse(home.warehouse, log=log)  # a reader holding it: wait, then fail naming the holder
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **({"ops": ops} if ops else {})}
    run_tags = {**process_tags(), **(tags or {})}
    if in_processes:
        result = _execute_in_processes(home, job.name, instance, selection, run_tags, run_config)
    else:
        result = execute_in_instance(job, instance, selection, run_config=run_config, tags=run_tags)
    return StageRun(job.name, result, sorted(launch.skipped), instance)


# Step processes at once: the sources wait on their APIs most of the time, so more than the
# cores; the writes still take turns in the writer slot.
MAX_CONCURRENT_STEPS = 4
_forkserver_started = False


def _execute_in_processes(home: Home, job_name: str, instance: DagsterInstance, selection, tags, run_config):
    """The job on Dagster's multiprocess executor. The first such run of this process forks
    its steps from a forkserver that has built the definitions once
    (orchestration/step_processes.py); the forkserver keeps the environment it started with
    (the sources' endpoints), so any later run in the same process spawns fresh processes."""
    global _forkserver_started
    os.environ["CS360_HOME"] = str(home.root)  # the step processes read the same home
    if os.getpgid(0) == os.getpid():  # a kill point in a step kills the run, as in one process
        os.environ[killpoints.GROUP_ENV] = str(os.getpid())
    job = build_reconstructable_job("orchestration.step_processes", "stage_job",
                                    reconstructable_args=(job_name, str(home.root)))
    start = ({"spawn": {}} if _forkserver_started else
             {"forkserver": {"preload_modules": ["orchestration.step_processes_warm"]}})
    _forkserver_started = True
    execution = {"multiprocess": {"max_concurrent": MAX_CONCURRENT_STEPS, "start_method": start}}
    return execute_job(job, instance=instance, raise_on_error=False, asset_selection=selection, tags=tags,
                       run_config={**run_config, "execution": {"config": execution}})
