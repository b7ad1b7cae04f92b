"""Runs a stage (or all) of the Dagster job in-process, against the configured endpoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from cs360.dead_runs import process_tags, release_dead_runs
from cs360_core.settings import Home
from cs360_core.warehouse_lock import wait_for_warehouse
from orchestration.automation import STAGE_JOBS, ensure_writer_pool_limit
from orchestration.launch import NothingToRun, launch_selection
from orchestration.systems import SYSTEMS, System, unconfigured

__all__ = ["NothingToRun", "StageRun", "run_stage"]


@dataclass
class StageRun:
    job_name: str
    result: ExecuteInProcessResult
    skipped: list[str]

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


def run_stage(
    home: Home,
    stage: str,
    log: Callable[[str], None] = print,
    defs: Definitions | None = None,
    log_level: str = "INFO",
    systems: Sequence[System] = SYSTEMS,
) -> StageRun:
    """Runs the stage's job in this process, leaving out unconfigured systems as the
    schedules do (orchestration/launch.py); `log_level` sets Dagster's console logger."""
    from orchestration.definitions import build_definitions

    instance = DagsterInstance.get()
    if ensure_writer_pool_limit(instance):  # DAGSTER_HOME is not the home's: give it the limit
        log(f"Dagster instance {instance.root_directory}: writer pool limited to one step at a time")
    release_dead_runs(instance, log)
    defs = defs or build_definitions(home, systems)
    job = defs.resolve_job_def(STAGE_JOBS[stage].name)
    skipped = unconfigured(tuple(systems))
    for line in skipped.values():
        log(line)
    launch = launch_selection(job, defs.resolve_asset_graph(), systems, skipped=skipped)
    wait_for_warehouse(home.warehouse, log=log)  # a reader holding it: wait, then fail naming the holder
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        asset_selection=launch.selection,
        tags=process_tags(),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    return StageRun(job.name, result, sorted(launch.skipped))

