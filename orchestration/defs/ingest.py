"""The one way a registered system becomes Dagster assets: one asset per raw table, and
the CRM sync when the system is also a destination (orchestration/systems.py)."""

from collections.abc import Iterator
from contextlib import nullcontext

import dlt as dlt_lib
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.sources import DltSource

from cs360_core import warehouse
from cs360_core.configuration import SourceNotConfigured
from cs360_core.introspection import table_exists
from cs360_core.settings import Home
from orchestration.checks import ROW_COUNT
from orchestration.defs.crm_sync import crm_sync_asset
from orchestration.systems import System
from orchestration.translator import Cs360DltTranslator
from orchestration.writer_slot import BRIEF_CLAIM_PRIORITY, WHOLE_STEP_CLAIM_PRIORITY, warehouse_writer
from pipelines.warehouse import loader_file_format, warehouse_pipeline


def system_assets(system: System, home: Home) -> list[AssetsDefinition]:
    assets = [raw_source_assets(system, home)]
    if system.crm_destination:
        assets.append(crm_sync_asset(system.crm_destination, home, system=system.name))
    return assets


def raw_source_assets(system: System, home: Home) -> AssetsDefinition:
    """`source()` without settings only names the resources; settings are read per run. An
    unconfigured system's step logs why and yields nothing (its tables are skippable).
    The step is not in the writer pool as a whole: see `load_in_phases`."""
    definition_source = system.source()
    translator = Cs360DltTranslator(system.freshness)

    @dlt_assets(
        dlt_source=definition_source,
        dlt_pipeline=warehouse_pipeline(definition_source.name, home),
        name=f"{definition_source.name}_raw",
        dagster_dlt_translator=translator,
    )
    def _raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource):
        try:
            run_settings = system.settings()
        except SourceNotConfigured as skipped:
            context.log.info(str(skipped))
            return
        context.log.info(f"loading {definition_source.name} into {system.raw_dataset}")
        yield from load_in_phases(context, dlt, system.source(run_settings),
                                  warehouse_pipeline(definition_source.name, home), translator, home,
                                  parallel=system.parallel_extract, whole_step=system.extract_reads_warehouse)

    return _raw_tables


def load_in_phases(context: AssetExecutionContext, resource: DagsterDltResource, source: DltSource,
                   pipeline: dlt_lib.Pipeline, translator: DagsterDltTranslator, home: Home,
                   parallel: bool = True, whole_step: bool = False) -> Iterator[MaterializeResult]:
    """dlt's run in its three phases, holding the warehouse writer slot only where the
    warehouse is opened (orchestration/writer_slot.py): restoring the pipeline's state
    (the cursors) from the warehouse, then extract and normalize with no lock (other
    sources do the same meanwhile), then the load and the row counts with the slot again.
    `whole_step`: a source whose extract reads the warehouse holds the slot throughout.
    The outcome is what `DagsterDltResource.run` gives: one materialization per selected
    table with dagster-dlt's metadata."""
    resources = {translator.get_asset_spec(DltResourceTranslatorData(resource=r, pipeline=pipeline)).key: r
                 for r in source.selected_resources.values()}
    if context.is_subset:
        resources = {key: r for key, r in resources.items() if key in context.selected_asset_keys}
        source = source.with_resources(*[r.name for r in resources.values()])
    def writer(priority: int):
        return lambda: warehouse_writer(context, home.root / "warehouse.writer.lock", priority=priority)

    step_slot, phase_slot = ((writer(WHOLE_STEP_CLAIM_PRIORITY), nullcontext) if whole_step
                             else (nullcontext, writer(BRIEF_CLAIM_PRIORITY)))
    with step_slot():
        with phase_slot():
            # as dagster-dlt does: drop the local state, the warehouse's copy is the truth
            pipeline.drop()
            pipeline.sync_destination()
        # a source's resources (tickets, users, organizations ...) page side by side in
        # threads, where the system allows it (orchestration/systems.py)
        pipeline.extract(source.parallelize() if parallel else source, loader_file_format=loader_file_format(pipeline))
        pipeline.normalize()
        with phase_slot():
            load_info = pipeline.load()
            load_info.raise_on_failed_jobs()
            totals = table_row_counts(home, list(resources))
    for asset_key, dlt_resource in resources.items():
        metadata = resource.extract_resource_metadata(context, dlt_resource, load_info, pipeline)
        rows = metadata.get("rows_loaded")
        total = totals.get(asset_key)
        context.log.info(f"{asset_key.to_user_string()}: {rows.value if rows else 0} rows loaded, "
                         f"{total} in the table")
        yield MaterializeResult(asset_key=asset_key, metadata={**metadata, ROW_COUNT: total})


def table_row_counts(home: Home, keys: list[AssetKey]) -> dict[AssetKey, int]:
    """Rows now in each raw table (`[dataset, table]` keys), for the row-count checks."""
    counts = {}
    with warehouse.connect(home, read_only=True) as con:
        for key in keys:
            schema, table = key.path
            if table_exists(con, schema, table):
                counts[key] = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
    return counts
