"""Every Dagster definition of cs360, assembled in one place.

`dagster dev` (workspace.yaml) loads `defs`. Nothing here reads a secret: sources and
syncs read the environment when a run starts.
"""

from __future__ import annotations

from dagster import AssetKey, Definitions, definitions
from dagster_dlt import DagsterDltResource

from cs360_core.settings import Home, resolve_home
from orchestration.automation import JOBS, SCHEDULES
from orchestration.checks import raw_row_count_checks, sync_gate_checks
from orchestration.defs.alerts import alert_assets
from orchestration.defs.churn_model import churn_model_assets
from orchestration.defs.dbt import dbt_model_assets
from orchestration.defs.freshdesk import freshdesk_assets
from orchestration.defs.hubspot import hubspot_assets
from orchestration.defs.product import product_assets
from orchestration.defs.publish import publish_assets
from orchestration.defs.salesforce import salesforce_assets
from orchestration.defs.scorecard import scorecard_assets
from orchestration.defs.skilljar import skilljar_assets
from orchestration.defs.surveys import surveys_assets
from orchestration.defs.thinkific import thinkific_assets
from orchestration.defs.training import training_assets
from orchestration.defs.zendesk import zendesk_assets
from orchestration.sensors import run_failure_to_webhook, stale_source_sensor


def build_definitions(home: Home) -> Definitions:
    dbt_assets_def, dbt_resource = dbt_model_assets(home)
    assets = [*product_assets(home), *salesforce_assets(home), *hubspot_assets(home), *zendesk_assets(home),
              *freshdesk_assets(home), *surveys_assets(home), *training_assets(home),
              *skilljar_assets(home), *thinkific_assets(home), dbt_assets_def]
    assets += alert_assets(home, dbt_assets_def.keys)
    assets += churn_model_assets(home)
    assets += scorecard_assets(home)
    assets += publish_assets(home, [key for assets_def in assets for key in assets_def.keys])
    raw_keys = _raw_keys_by_source(assets)
    return Definitions(
        assets=assets,
        asset_checks=[
            raw_row_count_checks([key for keys in raw_keys.values() for key in keys]),
            *sync_gate_checks(home),
        ],
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=[run_failure_to_webhook, stale_source_sensor(raw_keys)],
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource},
    )


def _raw_keys_by_source(assets) -> dict[str, list[AssetKey]]:
    """`raw_<source>/<table>` keys grouped by source, for freshness and row-count checks."""
    by_source: dict[str, list[AssetKey]] = {}
    for assets_def in assets:
        for key in assets_def.keys:
            if key.path[0].startswith("raw_"):
                by_source.setdefault(key.path[0].removeprefix("raw_"), []).append(key)
    return by_source


@definitions
def defs() -> Definitions:
    """Built when Dagster loads the code location, for the home in `CS360_HOME`."""
    return build_definitions(resolve_home())
