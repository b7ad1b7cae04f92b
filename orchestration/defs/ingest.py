"""The one way a dlt source becomes Dagster assets: one asset per raw table."""

from collections.abc import Callable

from dagster import AssetExecutionContext, AssetsDefinition, Failure
from dagster_dlt import DagsterDltResource, dlt_assets
from dlt.sources import DltSource

from cs360.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.translator import Cs360DltTranslator
from pipelines.credentials import SourceNotConfigured
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
        for result in dlt.run(context=context, dlt_source=source(run_settings)):
            rows = result.metadata.get("rows_loaded")
            context.log.info(f"{result.asset_key.to_user_string()}: {rows.value if rows else 0} rows loaded")
            yield result

    return _raw_tables
