"""What a launch runs: a job's assets minus those of unconfigured systems.

One rule for every way a run starts: the schedules (daemon), `cs360 run` and the tests
that run a job through the definitions. A system the environment (or the home's `.env`)
does not configure is left out with one line saying so, and the rest of the job runs:
dbt reads an absent raw table as empty, so the daily run stays green. A job launched
whole (the UI's "Materialize all", `dagster job execute`) reaches the same outcome for
raw-only jobs: each step of an unconfigured system logs its line and yields nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dagster import (
    AssetKey, AssetSelection, JobDefinition, RunRequest, ScheduleDefinition, ScheduleEvaluationContext, SkipReason,
    schedule,
)

from orchestration import systems as registry
from orchestration.automation import SYSTEM_TAG, all_stages_job, voice_of_customer_job


class NothingToRun(RuntimeError):
    """Every asset of the job belongs to an unconfigured system."""


@dataclass(frozen=True)
class Launch:
    job_name: str
    selection: list[AssetKey]  # what runs
    skipped: dict[str, str]    # unconfigured system -> why

    @property
    def whole_job(self) -> bool:
        return not self.skipped


def launch_selection(job: JobDefinition, asset_graph, systems: Sequence[registry.System] = registry.SYSTEMS,
                     skipped: dict[str, str] | None = None) -> Launch:
    """`asset_graph`: the definitions' (`defs.resolve_asset_graph()`, or a repository's);
    `skipped`: the unconfigured systems when the caller has asked already."""
    if skipped is None:
        skipped = registry.unconfigured(tuple(systems))
    left_out: set[AssetKey] = set()
    for name in skipped:
        left_out |= AssetSelection.tag(SYSTEM_TAG, name).resolve(asset_graph)
    keys = sorted(job.asset_layer.executable_asset_keys, key=lambda key: key.to_user_string())
    selection = [key for key in keys if key not in left_out]
    if not selection:  # an empty selection would mean "everything" to Dagster
        raise NothingToRun(f"{job.name}: every system it needs is unconfigured, nothing to run")
    return Launch(job.name, selection, skipped)


def _scheduled(name: str, job, cron: str, description: str, systems: Sequence[registry.System]
               ) -> ScheduleDefinition:
    @schedule(name=name, job=job, cron_schedule=cron, execution_timezone="UTC", description=description)
    def _launch(context: ScheduleEvaluationContext):
        repository = context.repository_def
        try:
            launch = launch_selection(repository.get_job(job.name), repository.asset_graph, systems)
        except NothingToRun as nothing:
            return SkipReason(str(nothing))
        for line in launch.skipped.values():
            context.log.info(line)
        return RunRequest(asset_selection=None if launch.whole_job else launch.selection,
                          tags={"cs360/skipped_systems": ",".join(sorted(launch.skipped))} if launch.skipped else {})

    return _launch


def schedules(systems: Sequence[registry.System] = registry.SYSTEMS) -> list[ScheduleDefinition]:
    return [
        _scheduled("cs360_daily", all_stages_job, "0 5 * * *",
                   "Every morning: yesterday's data in, scores out to the CRMs before CSMs start.", systems),
        _scheduled("cs360_hourly_voice_of_customer", voice_of_customer_job, "5 * * * *",
                   "Hourly: tickets and NPS responses in, so detractor alerts reach CSMs within the hour.", systems),
    ]
