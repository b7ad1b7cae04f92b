"""Every Dagster definition of cs360, assembled in one place.

`dagster dev` (workspace.yaml) loads `defs`. Nothing here reads a secret: sources and
syncs read the environment when a run starts.
"""

from __future__ import annotations

from dagster import Definitions, definitions
from dagster_dlt import DagsterDltResource

from cs360.settings import Home, resolve_home
from orchestration.automation import JOBS, SCHEDULES
from orchestration.defs.dbt import dbt_model_assets
from orchestration.defs.hubspot import hubspot_assets
from orchestration.defs.product import product_assets
from orchestration.defs.salesforce import salesforce_assets


def build_definitions(home: Home) -> Definitions:
    dbt_assets_def, dbt_resource = dbt_model_assets(home)
    return Definitions(
        assets=[*product_assets(home), *salesforce_assets(home), *hubspot_assets(home), dbt_assets_def],
        jobs=JOBS,
        schedules=SCHEDULES,
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource},
    )


@definitions
def defs() -> Definitions:
    """Built when Dagster loads the code location, for the home in `CS360_HOME`."""
    return build_definitions(resolve_home())
