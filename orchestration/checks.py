"""Asset checks beyond dbt's tests: raw row counts across loads, and the gates that stop a
bad score from reaching a CSM (blocking checks on the CRM sync's input).

dbt tests surface as asset checks through dagster-dbt; source freshness is a
FreshnessPolicy on every raw table (orchestration/translator.py); these cover what
neither can see: history across runs and the score's fitness to send. The figures the
gates judge are computed in dbt (e.g. the band mix's stability, marts.health_band_stability).
"""

from collections.abc import Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetChecksDefinition,
    AssetKey,
    multi_asset_check,
)

from cs360_core import warehouse
from cs360_core.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from reverse_etl import gates

CRM_PAYLOAD = AssetKey(["marts", "crm_account_health"])
IDENTITY_BRIDGE = AssetKey(["marts", "identity_bridge"])
BAND_STABILITY = AssetKey(["marts", "health_band_stability"])
SCORE_VALIDATION = AssetKey(["marts", "score_validation"])
ROW_COUNT = "dagster/row_count"


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


# The gates, in the order the sync engine judges them: (name, the mart beside the CRM payload it
# reads, what it means). One step runs them all, so a run opens the warehouse once for them.
SYNC_GATES = (
    ("tenants_matched", IDENTITY_BRIDGE,
     f"At least {gates.MIN_TENANTS_MATCHED_SHARE:.0%} of product tenants resolve to an account; "
     "below that the usage behind every score is missing."),
    ("band_mix_stable", BAND_STABILITY,
     "The mix of red/yellow/green did not jump against 7 days before (population stability index "
     f"≤ {gates.MAX_BAND_SHIFT_PSI}, from marts.health_band_stability): a jump is a data fault far "
     "more often than a change in customers."),
    ("score_predicts_churn", SCORE_VALIDATION,
     f"The latest 90-day churn AUC of the score is at least {gates.MIN_VALIDATION_AUC}."),
    ("model_predicts_churn", SCORE_VALIDATION,
     f"The churn model's walk-forward AUC is at least {gates.MIN_MODEL_AUC} (no model passes: "
     "the CRMs then get a null churn risk with its reason)."),
)


def sync_gate_checks(home: Home) -> AssetChecksDefinition:
    """Blocking checks on the CRM payload: when one fails, the syncs do not run. Each
    reports `reverse_etl.gates`, the same judgement the sync engine makes before writing.
    They are one step (`crm_sync_gates`): every result is reported, then the step fails
    naming the gates that did not pass."""

    @multi_asset_check(
        specs=[AssetCheckSpec(name, asset=CRM_PAYLOAD, additional_deps=[mart], blocking=True, description=description)
               for name, mart, description in SYNC_GATES],
        name="crm_sync_gates",
        can_subset=True,
        pool=DUCKDB_WRITER_POOL,
    )
    def _gates(context: AssetCheckExecutionContext):
        selected = {check_key.name for check_key in context.selected_asset_check_keys}
        with warehouse.working_copy(home, reads=("marts", "learning"), read_only=True) as con:
            results = {name: gates.GATE_FUNCTIONS[name](con) for name, _, _ in SYNC_GATES if name in selected}
        for name, result in results.items():
            yield AssetCheckResult(asset_key=CRM_PAYLOAD, check_name=name, passed=result.passed,
                                   description=result.reason, metadata=result.metadata)

    return _gates
