"""Asset checks beyond dbt's tests: raw row counts across loads, and the gates that stop a
bad score from reaching a CSM (blocking checks on the CRM sync's input).

dbt tests surface as asset checks through dagster-dbt; source freshness is a
FreshnessPolicy on every raw table (orchestration/translator.py); these cover what
neither can see: history across runs and the score's fitness to send.
"""

from collections.abc import Sequence

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetChecksDefinition,
    AssetKey,
    asset_check,
    multi_asset_check,
)

from cs360.settings import Home
from orchestration import automation
from orchestration.automation import DUCKDB_WRITER_POOL

CRM_PAYLOAD = AssetKey(["marts", "crm_account_health"])
IDENTITY_BRIDGE = AssetKey(["marts", "identity_bridge"])
SCORE_HISTORY = AssetKey(["marts", "health_scores"])
SCORE_VALIDATION = AssetKey(["marts", "score_validation"])
ROW_COUNT = "dagster/row_count"


def _relation_exists(con, schema: str, table: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0] > 0


def raw_row_count_checks(raw_keys: Sequence[AssetKey]) -> AssetChecksDefinition:
    """A raw table never shrinks (loads merge) and is not empty once loaded."""

    @multi_asset_check(
        specs=[AssetCheckSpec("row_count_not_shrinking", asset=key, description="Fewer rows than the last load "
               "means rows were lost: raw tables only grow (deleted records are marked, not removed).")
               for key in raw_keys],
        name="raw_row_counts",
        can_subset=True,
    )
    def _raw_row_counts(context: AssetCheckExecutionContext):
        for check_key in context.selected_asset_check_keys:
            counts = [
                event.asset_materialization.metadata[ROW_COUNT].value
                for event in context.instance.fetch_materializations(check_key.asset_key, limit=2).records
                if ROW_COUNT in event.asset_materialization.metadata
            ]
            latest, previous = (counts + [None, None])[:2]
            passed = latest is None or (latest > 0 and (previous is None or latest >= previous))
            yield AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=check_key.name,
                passed=passed,
                severity=AssetCheckSeverity.WARN,
                metadata={"rows": latest or 0, "rows_at_previous_load": previous or 0},
            )

    return _raw_row_counts


def sync_gate_checks(home: Home) -> list[AssetChecksDefinition]:
    """Blocking checks on the CRM payload: when one fails, the syncs do not run."""

    def warehouse():
        return duckdb.connect(str(home.warehouse), read_only=True)

    @asset_check(asset=CRM_PAYLOAD, name="tenants_matched", blocking=True, additional_deps=[IDENTITY_BRIDGE],
                 pool=DUCKDB_WRITER_POOL,
                 description=f"At least {automation.MIN_TENANTS_MATCHED_SHARE:.0%} of product tenants resolve "
                             "to an account; below that the usage behind every score is missing.")
    def tenants_matched() -> AssetCheckResult:
        with warehouse() as con:
            matched, total = con.execute(
                "select count(account_id), count(*) from marts.identity_bridge where source_system = 'product'"
            ).fetchone()
        share = matched / total if total else 0.0
        return AssetCheckResult(passed=share >= automation.MIN_TENANTS_MATCHED_SHARE,
                                metadata={"tenants": total, "matched": matched, "share": round(share, 4)})

    @asset_check(asset=CRM_PAYLOAD, name="band_mix_stable", blocking=True, additional_deps=[SCORE_HISTORY],
                 pool=DUCKDB_WRITER_POOL,
                 description="The mix of red/yellow/green did not jump against 7 days before (population "
                             f"stability index ≤ {automation.MAX_BAND_SHIFT_PSI}): a jump is a data fault "
                             "far more often than a change in customers.")
    def band_mix_stable() -> AssetCheckResult:
        with warehouse() as con:
            psi = con.execute(BAND_PSI_SQL).fetchone()[0]
        return AssetCheckResult(passed=psi is None or psi <= automation.MAX_BAND_SHIFT_PSI,
                                metadata={"psi": round(psi, 4) if psi is not None else "no history yet"})

    @asset_check(asset=CRM_PAYLOAD, name="score_predicts_churn", blocking=True, additional_deps=[SCORE_VALIDATION],
                 pool=DUCKDB_WRITER_POOL,
                 description=f"The latest 90-day churn AUC of the score is at least {automation.MIN_VALIDATION_AUC}.")
    def score_predicts_churn() -> AssetCheckResult:
        with warehouse() as con:
            if not _relation_exists(con, "marts", "score_validation"):
                return AssetCheckResult(passed=True, metadata={"auc": "no validation table yet"})
            row = con.execute(
                "select auc, evaluated_on, n_accounts, n_churned from marts.score_validation "
                "where model = 'health_score' and horizon_days = 90 and auc is not null and n_churned >= ? "
                "order by evaluated_on desc limit 1", [automation.MIN_CHURNED_FOR_AUC]
            ).fetchone()
        if row is None:  # too few churners for an AUC that means anything: nothing to judge yet
            return AssetCheckResult(passed=True, metadata={
                "auc": f"no evaluation date with {automation.MIN_CHURNED_FOR_AUC}+ churned accounts yet"})
        auc, evaluated_on, n_accounts, n_churned = row
        return AssetCheckResult(passed=auc >= automation.MIN_VALIDATION_AUC, metadata={
            "auc": round(float(auc), 4), "evaluated_on": str(evaluated_on),
            "accounts": int(n_accounts), "churned": int(n_churned)})

    return [tenants_matched, band_mix_stable, score_predicts_churn]


# Band shares on the latest day vs 7 days earlier; PSI = Σ (p - q) · ln(p / q), smoothed.
BAND_PSI_SQL = """
with days as (
    select max(as_of_date) as today from marts.health_scores
),
shares as (
    select
        s.as_of_date = d.today as is_today,
        s.health_band,
        count(*) / sum(count(*)) over (partition by s.as_of_date) as share
    from marts.health_scores s, days d
    where s.as_of_date in (d.today, d.today - interval 7 day)
    group by s.as_of_date, d.today, s.health_band
),
paired as (
    select
        coalesce(t.health_band, p.health_band) as band,
        coalesce(t.share, 0) + 0.001 as now_share,
        coalesce(p.share, 0) + 0.001 as before_share
    from (select * from shares where is_today) t
    full join (select * from shares where not is_today) p using (health_band)
)
select case when count(*) filter (where before_share > 0.001) = 0 then null
            else sum((now_share - before_share) * ln(now_share / before_share)) end
from paired
"""
