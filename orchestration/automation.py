"""Automation, freshness and check policy in one place: jobs, schedules, windows, thresholds."""

from __future__ import annotations

from datetime import timedelta

from dagster import (
    AssetKey, AssetSelection, AutomationCondition, DagsterInstance, define_asset_job,
)

# DuckDB allows one writer process at a time: every step that writes the warehouse claims
# this pool, whose limit is 1 (set in the instance's dagster.yaml by cs360, and on the
# instance that runs by `ensure_writer_pool_limit`, whatever DAGSTER_HOME points at).
DUCKDB_WRITER_POOL = "duckdb_writer"
WRITER_POOL_LIMIT = 1


def ensure_writer_pool_limit(instance: DagsterInstance) -> bool:
    """Give `instance` the writer pool's limit unless it already has it: an instance in
    another DAGSTER_HOME has no cs360 dagster.yaml, and without a limit a pool admits any
    number of steps. Stored in the instance (as `dagster instance concurrency set` does),
    so every later run on it keeps the limit. True when it had to be set."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return False
    if storage.get_concurrency_info(DUCKDB_WRITER_POOL).limit == WRITER_POOL_LIMIT:
        return False
    storage.set_concurrency_slots(DUCKDB_WRITER_POOL, WRITER_POOL_LIMIT)
    return True

# Every asset of a source system carries its name (raw tables and the CRM sync), and raw
# tables their freshness class (orchestration/systems.py): launches select by these tags.
SYSTEM_TAG = "cs360/system"
FRESHNESS_TAG = "cs360/freshness"
# Each system's class is in the registry: what CSMs need within the hour (NPS detractors,
# urgent tickets) is frequent, the rest daily.
FRESHNESS_WINDOWS = {"frequent": timedelta(hours=2), "daily": timedelta(hours=26)}


def freshness_window(freshness: str) -> timedelta:
    """The window of a freshness class ("frequent" or "daily")."""
    return FRESHNESS_WINDOWS[freshness]


# The gates in front of the CRM sync, and their thresholds, live in reverse_etl/gates.py:
# the sync engine judges them itself before any write, whichever path started it.

# Downstream of the raw tables, assets follow their inputs: an hourly helpdesk load
# refreshes the marts and the alerts without waiting for the daily run.
DOWNSTREAM_AUTOMATION = AutomationCondition.eager()

ingest_selection = AssetSelection.groups("ingest")
# the walk-forward fits (group learn) run between the dbt steps that feed and read them
transform_selection = AssetSelection.groups("transform", "learn")
activate_selection = AssetSelection.groups("activate")

all_stages_job = define_asset_job(
    "cs360_all",
    selection=AssetSelection.all(),
    description="Ingest every source, rebuild the marts and the health score, sync the CRMs.",
)
# One job per stage, for `cs360 run <stage>` and for running a stage by hand in the UI.
STAGE_JOBS = {
    "ingest": define_asset_job("cs360_ingest", selection=ingest_selection, description="Land every source in raw_*."),
    "transform": define_asset_job("cs360_transform", selection=transform_selection,
                                  description="dbt build, with the walk-forward fits between its steps."),
    "sync": define_asset_job("cs360_sync", selection=activate_selection, description="Reverse ETL to the CRMs."),
    "all": all_stages_job,
}

voice_of_customer_job = define_asset_job(
    "cs360_voice_of_customer",
    selection=AssetSelection.tag(FRESHNESS_TAG, "frequent"),
    description="Helpdesk and survey ingestion; marts and alerts follow by automation.",
)

# Rebuilds the point-in-time score history from scratch (dbt --full-refresh), e.g. after
# a scorecard change; see docs/operating.md. The history is computed in the intermediate
# model that marts.health_scores exposes, so the rebuild starts there.
SCORE_HISTORY = AssetKey(["intermediate", "int_health__scores"])
rebuild_score_history_job = define_asset_job(
    "cs360_rebuild_score_history",
    selection=AssetSelection.keys(SCORE_HISTORY).downstream(include_self=True) - activate_selection,
    description="Full refresh of the score history (int_health__scores, marts.health_scores) and everything "
                "built on it (no CRM sync).",
    config={"ops": {"cs360_dbt_models": {"config": {"full_refresh": True}}}},
)

# The schedules (cs360_daily at 05:00 UTC, cs360_hourly_voice_of_customer at :05) are in
# orchestration/launch.py: each tick leaves out the systems the environment does not configure.

JOBS = [*STAGE_JOBS.values(), voice_of_customer_job, rebuild_score_history_job]
