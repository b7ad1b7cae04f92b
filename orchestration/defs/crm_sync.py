"""The reverse-ETL asset of one CRM: the account health fields written to its records."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult, asset

from cs360.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.translator import OWNER
from pipelines.credentials import SourceNotConfigured
from reverse_etl.mapping import load_mappings
from reverse_etl.sync import sync_destination

SYNC_INPUT = AssetKey(["marts", "crm_account_health"])


def crm_sync_asset(destination: str, home: Home) -> AssetsDefinition:
    mapping = load_mappings().destinations[destination]

    @asset(
        key=AssetKey(["reverse_etl", f"{destination}_{mapping.object.lower()}"]),
        deps=[SYNC_INPUT],
        group_name="activate",
        owners=[OWNER],
        kinds={destination, "python"},
        description=(
            f"Health fields written to {destination} {mapping.object} records: "
            + ", ".join(mapping.fields.values())
        ),
        pool=DUCKDB_WRITER_POOL,  # the sync records its outcomes in the warehouse
    )
    def _sync(context: AssetExecutionContext) -> MaterializeResult:
        try:
            run = sync_destination(home, destination, log=context.log.info)
        except SourceNotConfigured as skipped:
            raise Failure(description=str(skipped), allow_retries=False) from None
        return MaterializeResult(
            metadata={
                "records_planned": run.planned,
                "records_succeeded": run.succeeded,
                "records_failed": run.failed,
                "api_calls": run.api_calls,
                "sync_run_id": run.run_id,
            }
        )

    return _sync
