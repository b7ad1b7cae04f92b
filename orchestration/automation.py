"""Automation and concurrency policy in one place: the jobs, the schedule, the writer pool."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

# DuckDB allows one writer process at a time: every step that writes the warehouse claims
# this pool, whose limit is 1 (set in the instance's dagster.yaml by cs360).
DUCKDB_WRITER_POOL = "duckdb_writer"

ingest_selection = AssetSelection.groups("ingest")
transform_selection = AssetSelection.groups("transform")
activate_selection = AssetSelection.groups("activate")

full_refresh_job = define_asset_job(
    "cs360_all",
    selection=AssetSelection.all(),
    description="Ingest every source, rebuild the marts and the health score, sync the CRMs.",
)
# One job per stage, for `cs360 run <stage>` and for running a stage by hand in the UI.
STAGE_JOBS = {
    "ingest": define_asset_job("cs360_ingest", selection=ingest_selection, description="Land every source in raw_*."),
    "transform": define_asset_job("cs360_transform", selection=transform_selection, description="dbt build."),
    "sync": define_asset_job("cs360_sync", selection=activate_selection, description="Reverse ETL to the CRMs."),
    "all": full_refresh_job,
}

daily_schedule = ScheduleDefinition(
    name="cs360_daily",
    job=full_refresh_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    description="Every morning: yesterday's data in, scores out to the CRMs before CSMs start.",
)

JOBS = list(STAGE_JOBS.values())
SCHEDULES = [daily_schedule]
