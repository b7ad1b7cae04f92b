"""The learned scorecard as a Dagster asset, between two dbt steps.

It reads the component scores (intermediate.int_health__component_values) and the contract
outcomes, and writes learning.scorecard_weights, which dbt reads back as a source
(int_health__scorecard_weights -> int_health__day_scorecards -> int_health__scores, which
marts.health_scores exposes).
The translator keys that source by schema and table, like this asset, so lineage is one
graph; Dagster runs the dbt assets before and after it as separate steps.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from cs360_core import warehouse
from cs360_core.settings import Home
from learning import scorecard
from orchestration.automation import DOWNSTREAM_AUTOMATION, DUCKDB_WRITER_POOL
from orchestration.translator import OWNER

SCORECARD_WEIGHTS_KEY = AssetKey(["learning", "scorecard_weights"])
INPUTS = [AssetKey(["intermediate", "int_health__component_values"]),
          AssetKey(["intermediate", "int_crm__contract_outcomes"]),
          AssetKey(["seeds", "health_score_weights"])]


def scorecard_assets(home: Home) -> list:
    @asset(
        key=SCORECARD_WEIGHTS_KEY,
        deps=INPUTS,
        group_name="learn",
        owners=[OWNER],
        kinds={"scikit-learn", "duckdb"},
        automation_condition=DOWNSTREAM_AUTOMATION,
        pool=DUCKDB_WRITER_POOL,
        description="Scorecard versions fit walk-forward per lifecycle stage: non-negative weights shrunk "
                    "towards the seed scorecard, or the seed weights with the reason (learning/scorecard.py).",
    )
    def scorecard_weights(context: AssetExecutionContext) -> MaterializeResult:
        if scorecard.is_pinned():
            context.log.info("CS360_SCORECARD=pinned: scoring with the seed scorecard, nothing fit")
            return MaterializeResult(metadata={"pinned": True, "fit_this_run": 0})
        with warehouse.working_copy(home, reads=scorecard.READS, writes=scorecard.WRITES) as con:
            summary = scorecard.run(con, scorecard.ScorecardSettings.from_env(), log=context.log.info)
            n_versions, latest = con.execute(
                f"select count(distinct scorecard_version), max(scorecard_version) from {scorecard.TABLE}").fetchall()[0]
            methods = dict(con.execute(
                f"select lifecycle_stage, method from {scorecard.TABLE} "
                f"where scorecard_version = ? and component = (select min(component) from {scorecard.TABLE})",
                [latest]).fetchall()) if latest else {}
        return MaterializeResult(metadata={
            "pinned": False, "versions": n_versions, "fit_this_run": len(summary.versions),
            "latest_version": latest or "", **{f"latest_method_{stage}": m for stage, m in methods.items()}})

    return [scorecard_weights]
