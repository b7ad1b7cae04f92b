"""Posting operational messages to the Slack-compatible alert webhook (`ALERT_WEBHOOK_URL`).

The URL is a secret (it embeds a token): read when a message is sent, and handled only by
`reverse_etl.webhook`, whose results and errors never repeat it.
"""

from __future__ import annotations

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
