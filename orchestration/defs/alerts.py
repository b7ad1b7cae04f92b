"""Alerts out: the rows of `marts.alerts` posted to the Slack-compatible webhook."""

from collections.abc import Iterable, Iterator

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config, Failure, MaterializeResult, asset

from cs360_core.configuration import SourceNotConfigured
from cs360_core.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.translator import OWNER
from reverse_etl.alerts import deliver_alerts

ALERTS_INPUT = AssetKey(["marts", "alerts"])
ALERT_WEBHOOK_KEY = AssetKey(["reverse_etl", "alert_webhook"])


class AlertConfig(Config):
    dry_run: bool = False  # `cs360 sync --dry-run`: say what would be posted, post nothing


def alert_assets(home: Home, upstream_keys: Iterable[AssetKey]) -> list[AssetsDefinition]:
    """The webhook asset, when the dbt project has the `marts.alerts` model it reads."""
    if ALERTS_INPUT not in set(upstream_keys):
        return []

    @asset(
        key=ALERT_WEBHOOK_KEY,
        deps=[ALERTS_INPUT],
        group_name="activate",
        owners=[OWNER],
        kinds={"slack", "python"},
        description=("Each row of marts.alerts posted once to ALERT_WEBHOOK_URL (Slack-compatible {text, blocks}); "
                     "deliveries in reverse_etl.alert_deliveries, failures retried next run. Skipped without "
                     "materializing when ALERT_WEBHOOK_URL is not set."),
        pool=DUCKDB_WRITER_POOL,  # deliveries are recorded in the warehouse
        output_required=False,
    )
    def alert_webhook(context: AssetExecutionContext, config: AlertConfig) -> Iterator[MaterializeResult]:
        try:
            run = deliver_alerts(home, log=context.log.info, dry_run=config.dry_run)
        except SourceNotConfigured as skipped:
            context.log.info(str(skipped))
            return
        metadata = {"alerts_pending": run.pending, "alerts_delivered": run.delivered,
                    "alerts_failed": run.failed, "alerts_parked": run.parked, "webhook_calls": run.api_calls}
        if run.status == "failed":
            raise Failure(description=f"alert delivery stopped: {run.error}", metadata=metadata)
        if config.dry_run:
            return
        yield MaterializeResult(metadata=metadata)

    return [alert_webhook]
