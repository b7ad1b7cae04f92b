"""The one client for the Slack-compatible alert webhook (`ALERT_WEBHOOK_URL`), used by the
alert delivery and by the team notices of the Dagster sensors.

The URL is the credential: its path carries the token. Nothing this module returns,
raises or logs contains the URL, its path or query, or a header: every failure becomes a
`WebhookResult` (or, for a URL that cannot be used, `InvalidWebhookURL`) whose reason is
written here from the kind of failure ("connection refused", "HTTP 404 no_service"),
never copied from an exception's text, which for requests and urllib3 repeats the URL.
`https://` is required; `http://` only on loopback (127.0.0.0/8, ::1, localhost), where
a local double listens.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import requests
import urllib3.exceptions

from cs360_core.http import parse_retry_after, rate_limit_wait

WEBHOOK_ENV = "ALERT_WEBHOOK_URL"
TIMEOUT_SECONDS = 10.0
# Slack answers errors with a short code as plain text (invalid_payload, channel_not_found, ...):
# worth showing. Any other body (an HTML error page of a proxy may echo the URL) is not.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LOOPBACK_NAMES = ("localhost", "localhost.")


class WebhookError(Exception):
    """A webhook failure whose message is already redacted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidWebhookURL(WebhookError):
    """`ALERT_WEBHOOK_URL` cannot be used (no scheme, not https, no host, ...)."""


class WebhookNotConfigured(WebhookError):
    """`ALERT_WEBHOOK_URL` is not set."""


@dataclass(frozen=True)
class WebhookResult:
    """The outcome of one post. `reason` is redacted. `transient`: worth trying again
    (429, 5xx, no connection). `maybe_delivered`: the message was sent but no answer came
    back (read timeout, connection dropped), so it may have reached the channel."""

    delivered: bool
    reason: str | None = None
    status: int | None = None
    transient: bool = False
    maybe_delivered: bool = False
    retry_after: float | None = None

    def __bool__(self) -> bool:
        return self.delivered


# --- the URL ---------------------------------------------------------------------------------

def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str) -> None:
    """Raise `InvalidWebhookURL` with a reason that names no part of the URL."""
    reason = _url_problem(url)
    if reason:
        raise InvalidWebhookURL(f"invalid webhook URL ({reason})")


def _url_problem(url: str) -> str | None:
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "it contains spaces or control characters"
    if "://" not in url:
        return "no scheme: it must start with https://"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return "it cannot be parsed"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return "scheme must be https"
    if not host:
        return "no host"
    if scheme == "http" and not _is_loopback(host):
        return "scheme must be https; http is allowed only on loopback"
    try:  # what requests itself would refuse (e.g. a host name IDNA cannot encode)
        requests.Request("POST", url).prepare()
    except (requests.RequestException, ValueError, UnicodeError):
        return "requests cannot use it"
    return None


def _secret_parts(url: str) -> list[str]:
    """The pieces of the URL that must never be shown, longest first."""
    parts = urlsplit(url)
    pieces = {url, parts.path, parts.query, parts.password or "", parts.username or ""}
    pieces |= {segment for segment in parts.path.split("/") if len(segment) >= 4}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        pieces |= {key, value}
    return sorted((p for p in pieces if len(p) >= 4), key=len, reverse=True)


# --- keeping the path out of urllib3's debug log ------------------------------------------------
# urllib3 logs every request line ("POST /services/T/B/<token>") at DEBUG. While a post runs,
# its secret pieces are registered here and a filter on urllib3's logger masks them.

_active_secrets: Counter[str] = Counter()
_secrets_lock = threading.Lock()


class _MaskWebhookSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _secrets_lock:
            secrets = list(_active_secrets)
        if not secrets:
            return True
        message = record.getMessage()
        masked = _mask(message, secrets)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def _mask(text: str, secrets: list[str]) -> str:
    for piece in sorted(secrets, key=len, reverse=True):
        text = text.replace(piece, "***")
    return text


for _logger_name in ("urllib3.connectionpool", "urllib3.util.retry"):  # the loggers that name request paths
    logging.getLogger(_logger_name).addFilter(_MaskWebhookSecrets())


@contextmanager
def _masked(secrets: list[str]) -> Iterator[None]:
    with _secrets_lock:
        _active_secrets.update(secrets)
    try:
        yield
    finally:
        with _secrets_lock:
            _active_secrets.subtract(secrets)
            for piece in [p for p, n in _active_secrets.items() if n <= 0]:
                del _active_secrets[piece]


# --- failures, described without their text ----------------------------------------------------

def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the urllib3 error inside a requests error, and their causes."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]


def _describe(exc: requests.RequestException, timeout: float) -> WebhookResult:
    chain = list(_causes(exc))

    def has(*types) -> bool:
        return any(isinstance(e, types) for e in chain)

    if isinstance(exc, requests.ConnectTimeout):
        return WebhookResult(False, f"no connection within {timeout:g} s", transient=True)
    if isinstance(exc, requests.ReadTimeout):
        return WebhookResult(False, f"no answer within {timeout:g} s; the message may have been delivered",
                             transient=True, maybe_delivered=True)
    if isinstance(exc, requests.exceptions.SSLError) or has(ssl.SSLError):
        return WebhookResult(False, "TLS handshake failed", transient=True)
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return WebhookResult(False, "host name not resolved", transient=True)
    if has(ConnectionRefusedError):
        return WebhookResult(False, "connection refused", transient=True)
    if isinstance(exc, requests.exceptions.ProxyError):
        return WebhookResult(False, "proxy refused the connection", transient=True)
    if has(urllib3.exceptions.ProtocolError) or has(ConnectionResetError):
        return WebhookResult(False, "connection dropped before an answer; the message may have been delivered",
                             transient=True, maybe_delivered=True)
    if isinstance(exc, requests.ConnectionError):
        return WebhookResult(False, "connection failed", transient=True)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader)):
        return WebhookResult(False, "invalid webhook URL (requests cannot use it)")
    return WebhookResult(False, f"request failed ({type(exc).__name__})", transient=True)


def _retry_after(headers, status: int) -> tuple[float | None, bool]:
    """(seconds, readable): a `Retry-After` that is neither seconds nor an HTTP date is ignored."""
    value = headers.get("Retry-After") if headers else None
    readable = value is None or parse_retry_after(value) is not None
    return rate_limit_wait(headers, status), readable


# --- the client ---------------------------------------------------------------------------------

class WebhookClient:
    """Posts JSON messages to one webhook URL; each `post` is a single attempt."""

    def __init__(self, url: str, timeout: float = TIMEOUT_SECONDS, session: requests.Session | None = None):
        url = (url or "").strip()
        check_webhook_url(url)
        self._url = url
        self._secrets = _secret_parts(url)
        self.timeout = timeout
        self._session = session or requests.Session()
        self.calls = 0

    @classmethod
    def from_env(cls, timeout: float = TIMEOUT_SECONDS, session: requests.Session | None = None) -> WebhookClient:
        """The client for `ALERT_WEBHOOK_URL`, read now; raises `WebhookNotConfigured` or
        `InvalidWebhookURL`."""
        url = os.environ.get(WEBHOOK_ENV, "").strip()
        if not url:
            raise WebhookNotConfigured(f"{WEBHOOK_ENV} is not set")
        return cls(url, timeout=timeout, session=session)

    def __repr__(self) -> str:
        return "WebhookClient(url=<redacted>)"

    def redact(self, text: str) -> str:
        """`text` with every piece of this client's URL masked."""
        return _mask(text, self._secrets)

    def post(self, message: dict) -> WebhookResult:
        """Post `message` as JSON once. Never raises for network or HTTP failures."""
        self.calls += 1
        failure = None
        with _masked(self._secrets):
            try:
                response = self._session.post(self._url, json=message, timeout=self.timeout,
                                              allow_redirects=False)
            except requests.RequestException as exc:
                # described outside the handler so no exception that holds the URL stays chained
                failure = exc
            if failure is not None:
                result = _describe(failure, self.timeout)
                del failure
                return result
            return self._result(response)

    def _result(self, response: requests.Response) -> WebhookResult:
        status = response.status_code
        if 200 <= status < 300:
            return WebhookResult(True, status=status)
        body = (response.text or "").strip()
        code = body if _ERROR_CODE.fullmatch(body) and self.redact(body) == body else ""
        reason = f"HTTP {status}" + (f" {code}" if code else "")
        if 300 <= status < 400:
            return WebhookResult(False, reason + " (redirect not followed)", status=status)
        if status == 429 or status >= 500:
            seconds, readable = _retry_after(response.headers, status)
            if not readable:
                reason += " (unreadable Retry-After ignored)"
            return WebhookResult(False, reason, status=status, transient=True, retry_after=seconds)
        return WebhookResult(False, reason, status=status)
