"""Monitoring: tell the team on the alert webhook when a run fails or a source goes stale.

A notice that the webhook did not take is not forgotten: the stale-source sensor moves its
cursor only past delivered notices, so a failed one is posted again on the next tick, and
it also posts the failed-run notices queued by the run-failure sensor (whose own cursor
Dagster advances regardless). Every failure reason comes from `reverse_etl.webhook` and
never contains the URL.
"""

import json
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from orchestration import automation
from orchestration.notify import flush_notices, post_to_webhook, queue_notice, webhook_configured
from orchestration.systems import DAILY, by_name
from reverse_etl.webhook import WebhookError


@run_failure_sensor(
    name="cs360_run_failure_to_webhook",
    description="Posts every failed cs360 run, with its failed steps, to ALERT_WEBHOOK_URL.",
    default_status=DefaultSensorStatus.RUNNING,
)
def run_failure_to_webhook(context: RunFailureSensorContext):
    if not webhook_configured():
        return SkipReason("ALERT_WEBHOOK_URL is not set")
    message = failure_message(context)
    result = post_to_webhook(message)
    if not result.delivered:  # kept for the next tick, and shown on this one with the redacted reason
        queue_notice(context.instance, message)
        raise WebhookError(f"notice of failed run {context.dagster_run.run_id[:8]} not delivered: {result.reason}; "
                           "it is posted again on the next tick of cs360_stale_sources_to_webhook")


def failure_message(context: RunFailureSensorContext) -> str:
    run = context.dagster_run
    steps = sorted({event.step_key for event in context.get_step_failure_events() if event.step_key})
    reason = context.failure_event.message or "run failed"
    return (f":red_circle: cs360 run `{run.job_name}` ({run.run_id[:8]}) failed"
            + (f" in step(s) {', '.join(steps)}" if steps else "") + f": {reason}")


def stale_source_sensor(raw_keys_by_source: dict[str, Sequence[AssetKey]], clock: Callable[[], float] = time.time,
                        windows: dict[str, timedelta] | None = None):
    """Posts once per source when its newest raw load is older than its freshness window
    (`windows`, from the registry; a source not in it has the daily window);
    a notice the webhook did not accept is posted again on the next tick. Each tick first
    posts the queued notices of failed runs."""

    @sensor(
        name="cs360_stale_sources_to_webhook",
        description="Posts to ALERT_WEBHOOK_URL when a source's raw tables are older than its freshness window.",
        minimum_interval_seconds=600,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def _stale_sources(context: SensorEvaluationContext):
        if not webhook_configured():
            return SkipReason("ALERT_WEBHOOK_URL is not set")
        flushed, flush_failures = flush_notices(context.instance)
        reported = json.loads(context.cursor or "{}")  # source -> timestamp of the load reported stale
        now = clock()
        delivered = ["queued notice"] * flushed
        undelivered = [f"queued notices ({reason})" for reason in flush_failures]
        for source, keys in raw_keys_by_source.items():
            loaded = [event.timestamp for key in keys
                      if (event := context.instance.get_latest_materialization_event(key)) is not None]
            if not loaded:
                continue  # never loaded: nothing can be stale yet
            newest = max(loaded)
            window = (windows or {}).get(source) or _registered_window(source)
            if now - newest > window.total_seconds() and reported.get(source) != newest:
                hours = (now - newest) / 3600
                result = post_to_webhook(f":warning: cs360 source `{source}` is stale: last load {hours:.1f} h ago "
                                         f"(expected within {window.total_seconds() / 3600:.0f} h)")
                if result.delivered:
                    reported[source] = newest  # only a delivered notice moves the cursor
                    delivered.append(source)
                else:
                    undelivered.append(f"{source} ({result.reason})")
        context.update_cursor(json.dumps(reported))
        if undelivered:
            context.log.warning(f"stale-source notices not delivered, retried next tick: {', '.join(undelivered)}")
            return SkipReason(f"not delivered, retried next tick: {', '.join(undelivered)}")
        if not delivered:
            return SkipReason("no source newly stale")
        return SkipReason(f"posted: {', '.join(delivered)}")  # no run to request; the tick says what went out

    return _stale_sources


def _registered_window(source: str) -> timedelta:
    system = by_name().get(source)
    return automation.freshness_window(system.freshness if system else DAILY)
