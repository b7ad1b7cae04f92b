"""The reverse-ETL asset of one CRM: the account health fields written to its records.

The mappings are read when the sync runs, not when Dagster loads the definitions: a broken
`reverse_etl/mappings.yaml` fails the sync step with every problem listed, while the rest
of the code location (ingestion, dbt, schedules) keeps loading and running.
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config, Failure, MaterializeResult, asset

from cs360_core.configuration import SourceNotConfigured
from cs360_core.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL, SYSTEM_TAG
from orchestration.translator import OWNER
from reverse_etl.sync import SyncAborted, sync_destination

SYNC_INPUT = AssetKey(["marts", "crm_account_health"])
# One key per destination, fixed so that the graph does not depend on the YAML's content.
SYNC_ASSET_KEYS = {
    "salesforce": AssetKey(["reverse_etl", "salesforce_account"]),
    "hubspot": AssetKey(["reverse_etl", "hubspot_companies"]),
}


class SyncConfig(Config):
    """The flags of `cs360 sync`, as run config: a scheduled run leaves them at their defaults."""

    dry_run: bool = False       # plan and print the changes, write nothing
    full_resync: bool = False   # send every row, ignoring the diff state
    force_reason: str = ""      # non-empty: override failed sync gates, recorded with this reason


def crm_sync_asset(destination: str, home: Home, system: str | None = None) -> AssetsDefinition:
    """`system`: the registered system whose CRM this is (default: the destination's name).
    Without its credentials the step logs why and materializes nothing."""

    @asset(
        key=SYNC_ASSET_KEYS[destination],
        deps=[SYNC_INPUT],
        group_name="activate",
        owners=[OWNER],
        kinds={destination, "python"},
        tags={SYSTEM_TAG: system or destination},
        description=(
            f"Health fields written to {destination} records, as mapped in reverse_etl/mappings.yaml (only "
            "changed rows, in the vendor's batch size; outcomes in reverse_etl.sync_runs / sync_records). "
            "Runs only when the sync gates pass (reverse_etl/gates.py)."
        ),
        pool=DUCKDB_WRITER_POOL,  # the sync records its outcomes in the warehouse
        output_required=False,
    )
    def _sync(context: AssetExecutionContext, config: SyncConfig) -> Iterator[MaterializeResult]:
        try:
            run = sync_destination(home, destination, log=context.log.info, dry_run=config.dry_run,
                                   full_resync=config.full_resync, force_reason=config.force_reason or None)
        except SourceNotConfigured as skipped:
            context.log.info(str(skipped))
            return
        except SyncAborted as aborted:  # a failed gate, an invalid mapping or unsafe keys: nothing was written
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
            "blocked": bool(run.blocked),
        }
        if run.dry_run:  # a plan is not a materialization; a gate that would block fails the step
            if run.blocked:
                raise Failure(description=f"{destination}: a sync now would be blocked by "
                                          f"{', '.join(run.gates_failed)}", metadata=metadata, allow_retries=False)
            return
        if run.status == "failed":  # the vendor stayed unreachable or refused the run
            raise Failure(description=f"{destination} sync stopped: {run.error}", metadata=metadata)
        yield MaterializeResult(metadata=metadata)

    return _sync
