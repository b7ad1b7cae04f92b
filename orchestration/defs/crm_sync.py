"""The reverse-ETL asset of one CRM: the account health fields written to its records."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult, asset

from cs360.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.translator import OWNER
from pipelines.credentials import SourceNotConfigured
from reverse_etl.mapping import load_mappings
from reverse_etl.sync import SyncAborted, sync_destination

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
            f"Health fields written to {destination} {mapping.object} records (only changed rows, "
            f"in the vendor's batch size; outcomes in reverse_etl.sync_runs / sync_records): "
            + ", ".join(mapping.targets)
        ),
        pool=DUCKDB_WRITER_POOL,  # the sync records its outcomes in the warehouse
    )
    def _sync(context: AssetExecutionContext) -> MaterializeResult:
        try:
            run = sync_destination(home, destination, log=context.log.info)
        except SourceNotConfigured as skipped:
            raise Failure(description=str(skipped), allow_retries=False) from None
        except SyncAborted as aborted:  # an invalid mapping or unsafe keys: nothing was written
            raise Failure(description=str(aborted), allow_retries=False) from None
        metadata = {
            "records_planned": run.planned,
            "records_sent": run.sent,
            "records_succeeded": run.succeeded,
            "records_failed": run.failed,
            "records_unchanged": run.unchanged,
            "records_parked_newly": run.parked,
            "records_parked_skipped": run.parked_skipped,
            "api_calls": run.api_calls,
            "write_calls": run.write_calls,
            "method": run.method or "nothing to send",
            "sync_run_id": run.run_id,
        }
        if run.status == "failed":  # the vendor stayed unreachable or refused the run
            raise Failure(description=f"{destination} sync stopped: {run.error}", metadata=metadata)
        return MaterializeResult(metadata=metadata)

    return _sync
