"""Posting operational messages to the Slack-compatible alert webhook (`ALERT_WEBHOOK_URL`).

The URL is a secret (it embeds a token): read when a message is sent, never logged.
"""

from __future__ import annotations

import os

import requests

TIMEOUT_SECONDS = 10


def webhook_configured() -> bool:
    return bool(os.environ.get("ALERT_WEBHOOK_URL", "").strip())


def post_to_webhook(text: str) -> bool:
    """Returns whether the webhook accepted the message; absent webhook → False, no error."""
    url = os.environ.get("ALERT_WEBHOOK_URL", "").strip()
    if not url:
        return False
    payload = {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    response = requests.post(url, json=payload, timeout=TIMEOUT_SECONDS)
    return response.ok
