"""The churn model as Dagster assets: versions fit walk-forward and the daily predictions.

Between two dbt steps: it reads marts.health_scores and the contract outcomes, and dbt
reads its tables back as sources (crm_account_health, the validation marts), so the graph
stays one lineage (the translator keys a dbt source by schema and table, like these).
"""

import os

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from cs360_core import warehouse
from cs360_core.settings import Home
from learning import churn_model
from orchestration.automation import DOWNSTREAM_AUTOMATION, DUCKDB_WRITER_POOL
from orchestration.translator import OWNER

MODEL_VERSIONS_KEY = AssetKey(["learning", "model_versions"])
CHURN_PREDICTIONS_KEY = AssetKey(["marts", "churn_predictions"])
INPUTS = [AssetKey(["marts", "health_scores"]), AssetKey(["intermediate", "int_crm__contract_outcomes"]),
          AssetKey(["intermediate", "int_crm__contracts"])]
MIN_CHURN_EVENTS_ENV = "CS360_CHURN_MIN_EVENTS"


def settings_from_env() -> churn_model.ModelSettings:
    """Cadence (CS360_REFIT_EVERY) and minimum churn events, read when a run starts."""
    minimum = os.environ.get(MIN_CHURN_EVENTS_ENV)
    return churn_model.ModelSettings(
        every=os.environ.get("CS360_REFIT_EVERY") or None,
        min_churn_events=int(minimum) if minimum else churn_model.ModelSettings.min_churn_events,
    )


def churn_model_assets(home: Home) -> list:
    @multi_asset(
        specs=[
            AssetSpec(MODEL_VERSIONS_KEY, deps=INPUTS, group_name="learn", owners=[OWNER], kinds={"scikit-learn", "duckdb"},
                      automation_condition=DOWNSTREAM_AUTOMATION,
                      description="One row per churn model version: fit date, training window, examples, churn "
                                  "events, calibration and its walk-forward validation (learning/churn_model.py)."),
            AssetSpec(CHURN_PREDICTIONS_KEY, deps=[MODEL_VERSIONS_KEY, *INPUTS], group_name="learn", owners=[OWNER],
                      kinds={"scikit-learn", "duckdb"}, automation_condition=DOWNSTREAM_AUTOMATION,
                      description="Calibrated 90-day churn probability per (account, day), the version that made "
                                  "it and its top drivers; null with null_reason when no trustworthy model."),
        ],
        name="churn_model",
        pool=DUCKDB_WRITER_POOL,
    )
    def churn_model_asset(context: AssetExecutionContext):
        with warehouse.working_copy(home, reads=churn_model.READS, writes=churn_model.WRITES) as con:
            summary = churn_model.run(con, settings_from_env(), log=context.log.info)
            n_versions, n_with_model = con.execute(
                "select count(*), count(model) from learning.model_versions").fetchall()[0]
            n_predictions, n_null = con.execute(
                "select count(*), count(*) filter (where churn_probability_90d is null) "
                "from marts.churn_predictions").fetchall()[0] if n_versions else (0, 0)
        yield MaterializeResult(asset_key=MODEL_VERSIONS_KEY, metadata={
            "versions": n_versions, "versions_with_model": n_with_model, "fit_this_run": len(summary.versions_fit),
            "seconds_fitting": round(summary.seconds_fitting, 2)})
        yield MaterializeResult(asset_key=CHURN_PREDICTIONS_KEY, metadata={
            "dagster/row_count": n_predictions, "rows_without_probability": n_null,
            "rows_scored_this_run": summary.rows_scored, "seconds_scoring": round(summary.seconds_scoring, 2)})

    return [churn_model_asset]
