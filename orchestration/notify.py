"""Posting operational messages to the Slack-compatible alert webhook (`ALERT_WEBHOOK_URL`).

The URL is a secret (it embeds a token): read when a message is sent, and handled only by
`reverse_etl.webhook`, whose results and errors never repeat it.
"""

from __future__ import annotations

import json
import os

from reverse_etl.webhook import WEBHOOK_ENV, InvalidWebhookURL, WebhookClient, WebhookNotConfigured, WebhookResult

TIMEOUT_SECONDS = 10  # a sensor tick must stay short


def webhook_configured() -> bool:
    return bool(os.environ.get(WEBHOOK_ENV, "").strip())


def post_to_webhook(text: str) -> WebhookResult:
    """One attempt; the result says whether the webhook accepted the message and, if not,
    why (redacted). Never raises for a missing or unusable URL or a failed post."""
    try:
        client = WebhookClient.from_env(timeout=TIMEOUT_SECONDS)
    except (WebhookNotConfigured, InvalidWebhookURL) as problem:
        return WebhookResult(False, f"{WEBHOOK_ENV}: {problem.reason}")
    payload = {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    return client.post(payload)


# --- notices the webhook did not take ------------------------------------------------------------
# A run-status sensor moves past a run whether or not its function succeeded, so a failed
# run's notice that could not be posted is kept in the Dagster instance's key-value store
# and posted again by the next tick of the stale-source sensor (every 10 minutes).

OUTBOX_KEY = "cs360/undelivered_team_notices"


def _outbox(instance) -> list[str]:
    raw = instance.run_storage.get_cursor_values({OUTBOX_KEY}).get(OUTBOX_KEY)
    return json.loads(raw) if raw else []


def queue_notice(instance, text: str) -> None:
    """Keep a notice that was not delivered, to be posted by `flush_notices`."""
    queued = _outbox(instance)
    if text not in queued:
        instance.run_storage.set_cursor_values({OUTBOX_KEY: json.dumps(queued + [text])})


def flush_notices(instance) -> tuple[int, list[str]]:
    """Post the queued notices, oldest first; (delivered, redacted reasons of the failures).
    The first failure stops the flush: the webhook is likely still down."""
    queued = _outbox(instance)
    delivered, reasons = 0, []
    for text in queued:
        result = post_to_webhook(text)
        if not result.delivered:
            reasons.append(result.reason or "not delivered")
            break
        delivered += 1
    if delivered:
        instance.run_storage.set_cursor_values({OUTBOX_KEY: json.dumps(queued[delivered:])})
    return delivered, reasons
