"""The one way a registered system becomes Dagster assets: one asset per raw table, and
the CRM sync when the system is also a destination (orchestration/systems.py)."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult
from dagster_dlt import DagsterDltResource, dlt_assets

from cs360_core import warehouse
from cs360_core.configuration import SourceNotConfigured
from cs360_core.introspection import table_exists
from cs360_core.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.checks import ROW_COUNT
from orchestration.defs.crm_sync import crm_sync_asset
from orchestration.systems import System
from orchestration.translator import Cs360DltTranslator
from pipelines.warehouse import warehouse_pipeline


def system_assets(system: System, home: Home) -> list[AssetsDefinition]:
    assets = [raw_source_assets(system, home)]
    if system.crm_destination:
        assets.append(crm_sync_asset(system.crm_destination, home, system=system.name))
    return assets


def raw_source_assets(system: System, home: Home) -> AssetsDefinition:
    """`source()` without settings only names the resources; settings are read per run. An
    unconfigured system's step logs why and yields nothing (its tables are skippable)."""
    definition_source = system.source()

    @dlt_assets(
        dlt_source=definition_source,
        dlt_pipeline=warehouse_pipeline(definition_source.name, home),
        name=f"{definition_source.name}_raw",
        dagster_dlt_translator=Cs360DltTranslator(system.freshness),
        pool=DUCKDB_WRITER_POOL,
    )
    def _raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource):
        try:
            run_settings = system.settings()
        except SourceNotConfigured as skipped:
            context.log.info(str(skipped))
            return
        context.log.info(f"loading {definition_source.name} into {system.raw_dataset}")
        results = list(dlt.run(context=context, dlt_source=system.source(run_settings)))
        totals = table_row_counts(home, [result.asset_key for result in results])
        for result in results:
            rows = result.metadata.get("rows_loaded")
            total = totals.get(result.asset_key)
            context.log.info(f"{result.asset_key.to_user_string()}: {rows.value if rows else 0} rows loaded, "
                             f"{total} in the table")
            yield MaterializeResult(asset_key=result.asset_key, metadata={**result.metadata, ROW_COUNT: total})

    return _raw_tables


def table_row_counts(home: Home, keys: list[AssetKey]) -> dict[AssetKey, int]:
    """Rows now in each raw table (`[dataset, table]` keys), for the row-count checks."""
    counts = {}
    with warehouse.connect(home, read_only=True) as con:
        for key in keys:
            schema, table = key.path
            if table_exists(con, schema, table):
                counts[key] = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
    return counts
