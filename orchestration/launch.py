"""What a launch runs: a job's assets minus those of unconfigured systems.

One rule for every way a run starts: the schedules (daemon), `cs360 run` and the tests
that run a job through the definitions. A system the environment (or the home's `.env`)
does not configure is left out with one line saying so, and the rest of the job runs:
dbt reads an absent raw table as empty, so the daily run stays green. A job launched
whole (the UI's "Materialize all", `dagster job execute`) reaches the same outcome for
raw-only jobs: each step of an unconfigured system logs its line and yields nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dagster import (
    AssetKey, AssetSelection, DagsterInstance, JobDefinition, RunRequest, ScheduleDefinition,
    ScheduleEvaluationContext, SkipReason, schedule,
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


# The code location workspace.yaml declares (`dagster dev -w workspace.yaml`), and the name
# Dagster gives the repository of a Definitions object: the UI files a run under both.
CODE_LOCATION = "cs360"
DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE = "orchestration.definitions", "defs"
REPOSITORY_NAME = "__repository__"


def execute_in_instance(job: JobDefinition, instance: DagsterInstance, selection: Sequence[AssetKey],
                        run_config: Mapping[str, object], tags: Mapping[str, str]):
    """Runs `selection` of `job` in this process, recorded in `instance` as a run of the code
    location's job, as a launch from the UI or a schedule is: the UI lists it on the job's
    page and can re-execute it (from failure, say). `execute_in_process` records no origin,
    and Dagster offers no public call that runs a run created with one in-process, hence
    the internal names here. Returns the run's `JobExecutionResult`."""
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.api import create_execution_plan, execute_run
    from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    in_process = InMemoryJob(job.as_ephemeral_job(resource_defs={}, input_values={}))  # steps in this process
    plan = create_execution_plan(in_process.get_subset(asset_selection=frozenset(selection)), run_config=run_config,
                                 instance_ref=instance.get_ref() if instance.is_persistent else None)
    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE,
                             attribute=DEFINITIONS_ATTRIBUTE, working_directory=os.getcwd()),
        location_name=CODE_LOCATION)
    run = instance.create_run_for_job(
        job_def=in_process.get_definition(), execution_plan=plan, run_config=run_config,
        tags={**job.run_tags, **tags}, asset_selection=frozenset(selection),
        remote_job_origin=RemoteRepositoryOrigin(location, REPOSITORY_NAME).get_job_origin(job.name))
    return execute_run(in_process, run, instance)


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
