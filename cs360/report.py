"""Read-only questions to the warehouse, for the demo summary and `cs360 status`, in SQL
that DuckDB and PostgreSQL both take (cs360_core.warehouse.connect)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from cs360_core import warehouse as engines
from cs360_core.introspection import table_names
from cs360_core.settings import Home
from orchestration.systems import SYSTEMS, System

RAW_DATASETS = tuple(system.raw_dataset for system in SYSTEMS)


@contextmanager
def warehouse(home: Home):
    with engines.connect(home, read_only=True) as con:
        yield con


def _raw_datasets(systems: Sequence[System] | None) -> tuple[str, ...]:
    return RAW_DATASETS if systems is None else tuple(system.raw_dataset for system in systems)


def raw_row_counts(con, systems: Sequence[System] | None = None) -> dict[str, int]:
    """Rows per raw table of the registered systems (`systems`: the registry by default)."""
    counts = {}
    for dataset in _raw_datasets(systems):
        for table in table_names(con, dataset):
            if not table.startswith("_dlt"):
                counts[f"{dataset}.{table}"] = con.execute(f'select count(*) from {dataset}."{table}"').fetchone()[0]
    return counts


def source_freshness(con, systems: Sequence[System] | None = None) -> dict[str, str | None]:
    """Last successful load per raw dataset, from dlt's own `_dlt_loads`."""
    fresh = {}
    for dataset in _raw_datasets(systems):
        if "_dlt_loads" in table_names(con, dataset):
            fresh[dataset] = str(con.execute(
                f"select max(inserted_at) from {dataset}._dlt_loads where status = 0").fetchone()[0])
    return fresh


def customer_count(con) -> int:
    if "customer_360" not in table_names(con, "marts"):
        return 0
    return con.execute("select count(*) from marts.customer_360").fetchone()[0]


def band_counts(con) -> dict[str, int]:
    if "health_score_current" not in table_names(con, "marts"):
        return {}
    return dict(con.execute(
        "select health_band, count(*) from marts.health_score_current group by 1 order by 1").fetchall())


def last_sync_runs(con) -> list[dict]:
    if "sync_runs" not in table_names(con, "reverse_etl"):
        return []
    frame = con.execute("""
        select destination, finished_at, planned, sent, succeeded, failed, api_calls, dry_run
        from (select *, row_number() over (partition by destination order by finished_at desc) as latest
              from reverse_etl.sync_runs) as runs
        where latest = 1
        order by destination
    """).df()
    return frame.to_dict("records")


def alert_delivery_counts(con) -> dict[str, int]:
    """Alerts by delivery status (delivered, backlog, retrying, parked)."""
    if "alert_deliveries" not in table_names(con, "reverse_etl"):
        return {}
    return dict(con.execute(
        "select status, count(*) from reverse_etl.alert_deliveries group by 1 order by 1").fetchall())


def churn_model_status(con) -> str:
    """One line: the churn model in force on the latest scored day and its walk-forward
    figures (marts.score_validation, contract section 6), or why there is none."""
    if "model_versions" not in table_names(con, "learning") or "churn_predictions" not in table_names(con, "marts"):
        return "churn model: not fit yet (no learning.model_versions); CRM churn risk is null"
    row = con.execute("""
        select v.model_version, v.null_reason, v.n_churn_events,
            count(p.churn_probability_90d) as n_predicted, count(*) as n_rows
        from marts.churn_predictions p
        inner join learning.model_versions v using (model_version)
        where p.as_of_date = (select max(as_of_date) from marts.churn_predictions)
        group by 1, 2, 3
    """).fetchall()
    if not row:
        return "churn model: no predictions yet; CRM churn risk is null"
    version, reason, events, predicted, total = row[0]
    if reason:
        return f"churn model: {reason}; CRM churn risk is null"
    return (f"churn model: {version} ({events} churn events{_walk_forward_figures(con)}); "
            f"{predicted} of {total} accounts predicted")


def _walk_forward_figures(con) -> str:
    validated = None
    if "score_validation" in table_names(con, "marts"):
        validated = con.execute("""
            select n_dates, auc, renewal_cohort_auc, top_decile_lift, ece from marts.score_validation
            where scope = 'pooled' and model = 'churn_model' and horizon_days = 90""").fetchone()
    if validated is None or validated[1] is None:
        return ", not validated yet"
    n_dates, auc, cohort_auc, lift, ece = validated
    cohort = f", renewal-cohort AUC {cohort_auc:.3f}" if cohort_auc is not None else ""
    return (f", walk-forward over {n_dates} evaluation dates: AUC {auc:.3f}{cohort}, "
            f"top-decile lift {lift:.1f}, ECE {ece:.3f}")
