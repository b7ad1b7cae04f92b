"""Every Dagster definition of cs360, assembled in one place.

`dagster dev` (workspace.yaml), the daemon's schedules, `dagster job execute` and
`cs360 run` all load `defs`, which reads the home the same way the CLI does: `CS360_HOME`
(default ./.cs360) and its `.env`, whose values fill what the environment leaves unset.
Nothing here reads a secret: sources and syncs read the environment when a run starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dagster import AssetKey, Definitions, definitions, load_from_defs_folder
from dagster_dlt import DagsterDltResource

from cs360_core.settings import Home, load_dotenv, resolve_home
from orchestration.automation import JOBS, freshness_window
from orchestration.checks import raw_row_count_checks, sync_gate_checks
from orchestration.defs.alerts import alert_assets
from orchestration.defs.churn_model import churn_model_assets
from orchestration.defs.dbt import dbt_model_assets
from orchestration.defs.ingest import system_assets
from orchestration.defs.publish import publish_assets
from orchestration.defs.scorecard import scorecard_assets
from orchestration.launch import schedules
from orchestration.sensors import run_failure_to_webhook, stale_source_sensor
from orchestration.systems import SYSTEMS, System


def build_definitions(home: Home, systems: Sequence[System] = SYSTEMS) -> Definitions:
    """`systems`: the registry (orchestration/systems.py); tests pass it with a toy system added."""
    dbt_assets_def, dbt_resource = dbt_model_assets(home)
    assets = [assets_def for system in systems for assets_def in system_assets(system, home)]
    assets.append(dbt_assets_def)
    assets += alert_assets(home, dbt_assets_def.keys)
    assets += churn_model_assets(home)
    assets += scorecard_assets(home)
    assets += publish_assets(home, [key for assets_def in assets for key in assets_def.keys])
    raw_keys = raw_keys_by_system(systems)
    return Definitions(
        assets=assets,
        asset_checks=[
            raw_row_count_checks([key for keys in raw_keys.values() for key in keys]),
            sync_gate_checks(home),
        ],
        jobs=JOBS,
        schedules=schedules(systems),
        sensors=[run_failure_to_webhook,
                 stale_source_sensor(raw_keys, windows={s.name: freshness_window(s.freshness) for s in systems})],
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource},
    )


def raw_keys_by_system(systems: Sequence[System]) -> dict[str, list[AssetKey]]:
    """`raw_<system>/<table>` keys per system, for freshness and row-count checks."""
    return {system.name: [AssetKey([system.raw_dataset, table]) for table in system.raw_tables]
            for system in systems}


def load_definitions(home: str | None = None, systems: Sequence[System] = SYSTEMS) -> Definitions:
    """The home as every entry point reads it (its `.env` included), and its definitions."""
    resolved = resolve_home(home)
    load_dotenv(resolved)
    return build_definitions(resolved, systems)


@definitions
def defs() -> Definitions:
    """Built when Dagster loads the code location, for the home in `CS360_HOME`: the
    modules of orchestration/defs/, loaded by convention (`[tool.dg]` in pyproject.toml)."""
    return load_from_defs_folder(path_within_project=Path(__file__).parent)
