"""Slack-compatible incoming webhook double for alerts.

POST /services/{team}/{bot}/{secret} with a JSON body (or form field `payload` holding
JSON), as Slack accepts. Answers like Slack: 200 `ok`; 400 `invalid_payload` when the body
is not a JSON object; 400 `no_text` when it has neither `text`, `blocks` nor
`attachments`; 403 `invalid_token` for a wrong secret; 404 `no_service` for an unknown
webhook; 429 `rate_limited` with Retry-After and 500 `rollup_error` under faults. The URL
is the credential, as with Slack. Every accepted message is kept in `posts`.
"""

from __future__ import annotations

import json
import secrets

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from sandbox.doubles.common import JsonApp, RequestLog, retry_after_header, same_secret

TEAM, BOT = "T0CS360SBX", "B0ALERTS01"


def slack_text(body: str, status: int, headers: dict | None = None) -> Response:
    return Response(body, status=status, headers=headers or {}, content_type="text/html")


class WebhookDouble(JsonApp):
    vendor = "webhook"

    def __init__(self, secret: str | None = None, log: RequestLog | None = None):
        super().__init__(secret or secrets.token_urlsafe(24), log)
        self._posts: list[dict] = []
        self.path = f"/services/{TEAM}/{BOT}/{self.token}"
        self.url_map = Map([Rule("/services/<team>/<bot>/<secret>", endpoint="post_message", methods=["POST"])])

    @property
    def posts(self) -> list[dict]:
        """The accepted messages, oldest first (copies)."""
        with self.lock:
            return json.loads(json.dumps(self._posts))

    def clear(self) -> None:
        with self.lock:
            self._posts.clear()

    # --- plumbing -----------------------------------------------------------------------

    def authorized(self, request):
        return same_secret(request.path, self.path)

    def unauthorized(self, request):
        known = request.path.startswith(f"/services/{TEAM}/{BOT}/")
        return slack_text("invalid_token", 403) if known else slack_text("no_service", 404)

    def not_found(self, request):
        return slack_text("no_service", 404)

    def logged_path(self, path):
        parts = path.split("/")
        return "/".join(parts[:4] + ["***"]) if len(parts) > 4 else path

    def method_not_allowed(self, request):
        return slack_text("invalid_method", 405)

    def rate_limited(self, request, fault):
        return slack_text("rate_limited", 429, retry_after_header(fault) or {"Retry-After": "1"})

    def server_failure(self, request, fault):
        return slack_text("rollup_error", fault.status or 500)

    # --- endpoint -----------------------------------------------------------------------

    def post_message(self, request, team, bot, secret):
        raw = request.form.get("payload") if request.mimetype == "application/x-www-form-urlencoded" \
            else request.get_data(as_text=True)
        try:
            message = json.loads(raw or "")
        except ValueError:
            message = None
        if not isinstance(message, dict):
            return slack_text("invalid_payload", 400)
        if not any(message.get(k) for k in ("text", "blocks", "attachments")):
            return slack_text("no_text", 400)
        self._posts.append(message)
        return slack_text("ok", 200)
