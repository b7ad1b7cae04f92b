"""Runs a stage (or all) of the Dagster job in-process, against the configured endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dagster import AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from cs360.dead_runs import process_tags, release_dead_runs
from cs360_core.settings import Home
from cs360_core.warehouse_lock import wait_for_warehouse
from orchestration.automation import STAGE_JOBS, ensure_writer_pool_limit
from pipelines.credentials import (
    SourceNotConfigured, freshdesk_settings, hubspot_settings, product_settings, salesforce_settings, survey_settings,
    skilljar_settings, thinkific_settings, training_settings, zendesk_settings,
)

SOURCE_SETTINGS = {
    "product": product_settings, "salesforce": salesforce_settings, "hubspot": hubspot_settings,
    "zendesk": zendesk_settings, "freshdesk": freshdesk_settings, "surveys": survey_settings,
    "training": training_settings, "skilljar": skilljar_settings, "thinkific": thinkific_settings,
}


class NothingToRun(RuntimeError):
    """Every asset of the stage belongs to an unconfigured system."""


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


def unconfigured_sources() -> dict[str, str]:
    """Source name → the one line explaining why it is skipped."""
    skipped = {}
    for name, settings in SOURCE_SETTINGS.items():
        try:
            settings()
        except SourceNotConfigured as reason:
            skipped[name] = str(reason)
    return skipped


def run_stage(
    home: Home,
    stage: str,
    log: Callable[[str], None] = print,
    defs: Definitions | None = None,
    log_level: str = "INFO",
) -> StageRun:
    """Runs the stage's job in this process; `log_level` sets Dagster's console logger."""
    from orchestration.definitions import build_definitions

    instance = DagsterInstance.get()
    if ensure_writer_pool_limit(instance):  # DAGSTER_HOME is not the home's: give it the limit
        log(f"Dagster instance {instance.root_directory}: writer pool limited to one step at a time")
    release_dead_runs(instance, log)
    defs = defs or build_definitions(home)
    job = defs.resolve_job_def(STAGE_JOBS[stage].name)
    skipped = unconfigured_sources()
    for line in skipped.values():
        log(line)
    selection = [key for key in job.asset_layer.executable_asset_keys if not _belongs_to(key, skipped)]
    if not selection:  # an empty selection would mean "everything" to Dagster
        raise NothingToRun(f"{job.name}: every system it needs is unconfigured, nothing to run")
    wait_for_warehouse(home.warehouse, log=log)  # a reader holding it: wait, then fail naming the holder
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        asset_selection=selection,
        tags=process_tags(),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    return StageRun(job.name, result, sorted(skipped))


def _belongs_to(key: AssetKey, skipped: dict[str, str]) -> bool:
    """Raw tables and CRM syncs of a skipped system are left out of the run."""
    first, last = key.path[0], key.path[-1]
    return any(first == f"raw_{name}" or (first == "reverse_etl" and last.startswith(name)) for name in skipped)
