"""The one way a dlt source becomes Dagster assets: one asset per raw table."""

from collections.abc import Callable

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult
from dagster_dlt import DagsterDltResource, dlt_assets
from dlt.sources import DltSource

from cs360_core import duckdb_limits
from cs360_core.introspection import table_exists
from cs360_core.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.checks import ROW_COUNT
from orchestration.translator import Cs360DltTranslator
from cs360_core.configuration import SourceNotConfigured
from pipelines.warehouse import warehouse_pipeline


def raw_source_assets(source: Callable[..., DltSource], settings: Callable[[], object], home: Home) -> AssetsDefinition:
    """`source()` without settings only names the resources; settings are read per run."""
    definition_source = source()

    @dlt_assets(
        dlt_source=definition_source,
        dlt_pipeline=warehouse_pipeline(definition_source.name, home),
        name=f"{definition_source.name}_raw",
        dagster_dlt_translator=Cs360DltTranslator(),
        pool=DUCKDB_WRITER_POOL,
    )
    def _raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource):
        try:
            run_settings = settings()
        except SourceNotConfigured as skipped:
            raise Failure(description=str(skipped), allow_retries=False) from None
        context.log.info(f"loading {definition_source.name} into raw_{definition_source.name}")
        results = list(dlt.run(context=context, dlt_source=source(run_settings)))
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
    with duckdb_limits.connect(home.warehouse, read_only=True) as con:
        for key in keys:
            schema, table = key.path
            if table_exists(con, schema, table):
                counts[key] = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
    return counts
