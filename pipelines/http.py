"""HTTP for the REST sources: dlt's `RESTClient` on a session that retries like the vendors ask.

dlt's own retrying session (`dlt.sources.helpers.requests.Client`) already retries 429, every
5xx, connection errors and timeouts with exponential backoff, and waits `Retry-After` when a
response carries it. The vendors we read say more than that, so the wait here also honours
the other rate-limit headers they send when `Retry-After` is missing:

- `RateLimit-Reset` / `X-RateLimit-Reset` (seconds to wait, or an epoch time), as Zendesk
  and many others send them;
- HubSpot's `X-HubSpot-RateLimit-Interval-Milliseconds` when the 429 says the window is spent.

A vendor's own retryable answers come in as a `retry_condition` (Salesforce's 403
REQUEST_LIMIT_EXCEEDED with a Retry-After, see pipelines.salesforce).

And a response that says the budget is used up (`X-RateLimit-Remaining: 0` with a reset
time) makes the next request wait for the reset instead of provoking a 429.

Backoff waits get up to `JITTER` more at random (parallel resources of one vendor do not
retry in step), and are capped after the jitter: no wait exceeds the longest wait.

Two guards before any request leaves: a base URL must be `https://` (plain `http://` only on
the loopback interface, where nothing crosses a network), since every request carries a
token; and a paging cursor that repeats (a next link or cursor the API already handed
out) stops the listing with `PagingLoop` instead of requesting the same page forever.

Attempts, backoff factor, longest wait and request timeout come from dlt's runtime
configuration (`RUNTIME__REQUEST_MAX_ATTEMPTS`, `RUNTIME__REQUEST_BACKOFF_FACTOR`,
`RUNTIME__REQUEST_MAX_RETRY_DELAY`, `RUNTIME__REQUEST_TIMEOUT`); attempts default to
`DEFAULT_MAX_ATTEMPTS` here because a rate-limit storm easily outlasts dlt's five.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.requests.retry import (
    DEFAULT_RETRY_EXCEPTIONS, RetryPredicate, _get_retry_response, retry_if_predicate, retry_if_status,
)
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.client import PageData
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import HTTPError, Response
from requests.auth import AuthBase
from tenacity import RetryCallState, Retrying, retry_any, retry_if_exception_type, stop_after_attempt, wait_exponential

from pipelines.credentials import require_secure_url

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10
RETRY_STATUS = (429, *range(500, 600))
# past this many seconds a reset time is an epoch timestamp, not a delay
_EPOCH_THRESHOLD = 10 * 365 * 86400
JITTER = 0.25  # share of a backoff wait added at random


class PagingLoop(RuntimeError):
    """The API handed out a next page it had already handed out: the listing would never end."""


def _seconds(value: str | None, now: float) -> float | None:
    """A header's wait: delta-seconds, an HTTP date or an epoch timestamp; None when unusable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        parsed = email.utils.parsedate_tz(text)
        return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - now)
    if number > _EPOCH_THRESHOLD:
        if number > _EPOCH_THRESHOLD * 1000:  # epoch milliseconds
            number /= 1000
        return max(0.0, number - now)
    return max(0.0, number)


def rate_limit_wait(response: Response | None, now: float | None = None) -> float | None:
    """How long this response asks the caller to wait before the next request, if it says."""
    if response is None:
        return None
    now = time.time() if now is None else now
    headers = response.headers
    wait = _seconds(headers.get("Retry-After"), now)
    if wait is not None:
        return wait
    for name in ("RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"):
        wait = _seconds(headers.get(name), now)
        if wait is not None:
            return wait
    interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if response.status_code == 429 and interval and interval.isdigit():
        return int(interval) / 1000
    return None


def _budget_spent(response: Response) -> bool:
    for name in ("X-RateLimit-Remaining", "RateLimit-Remaining", "X-Rate-Limit-Remaining"):
        value = response.headers.get(name)
        if value is not None and value.strip().isdigit():
            return int(value) == 0
    return False


class wait_for_rate_limit(wait_exponential):
    """Exponential backoff with jitter, unless the response names its own wait; either is
    capped at `max`, the jitter included."""

    def __init__(self, *args, jitter: float = JITTER, **kwargs):
        super().__init__(*args, **kwargs)
        self.jitter = jitter

    def __call__(self, retry_state: RetryCallState) -> float:
        asked = rate_limit_wait(_get_retry_response(retry_state))
        if asked is not None:
            return min(self.max, max(self.min, asked))
        backoff = super().__call__(retry_state)
        return min(self.max, backoff * (1 + random.random() * self.jitter))


def _log_retry(retry_state: RetryCallState) -> None:
    response = _get_retry_response(retry_state)
    outcome = f"HTTP {response.status_code}" if response is not None else repr(retry_state.outcome.exception())
    wait = retry_state.next_action.sleep if retry_state.next_action else 0
    log.warning("retrying after %s (attempt %s), waiting %.1fs", outcome, retry_state.attempt_number, wait)


class RetryingClient(Client):
    """dlt's retrying requests client with the rate-limit aware wait above.

    dlt wraps `session.send` in its own tenacity `Retrying`; this subclass wraps the plain
    `send` again with ours (the same retry conditions, the wait above, a log line per
    retry), and around it a pause that waits out a spent budget before the next request.
    """

    def _make_session(self):
        session = super()._make_session()
        options = self._retry_kwargs
        conditions = [retry_if_status(options["status_codes"]), retry_if_exception_type(tuple(options["exceptions"]))]
        extra = options["condition"]
        conditions += [retry_if_predicate(c) for c in ([extra] if callable(extra) else extra or [])]
        retrying = Retrying(
            wait=wait_for_rate_limit(multiplier=options["backoff_factor"], max=options["max_delay"]),
            retry=retry_any(*conditions),
            stop=stop_after_attempt(options["max_attempts"]),
            before_sleep=_log_retry,
            reraise=True,
            retry_error_callback=lambda state: state.outcome.result(),
        )
        session.send = retrying.wraps(type(session).send.__get__(session))
        # outside the retry: a spent budget delays the next request, not the retry of this one
        session.send = _Pause(options["max_delay"]).around(session.send)
        return session


class _Pause:
    """Waits before a request when the previous response said the budget was spent."""

    def __init__(self, max_delay: float):
        self.max_delay = float(max_delay)
        self._until = 0.0
        self._lock = threading.Lock()

    def observe(self, response: Response) -> None:
        if response.status_code < 400 and _budget_spent(response):
            wait = rate_limit_wait(response)
            if wait:
                with self._lock:
                    self._until = max(self._until, time.monotonic() + min(wait, self.max_delay))

    def around(self, send):
        def paced_send(request, **kwargs):
            with self._lock:
                wait = self._until - time.monotonic()
            if wait > 0:
                log.info("rate-limit budget spent, waiting %.1fs before the next request", wait)
                time.sleep(wait)
            response = send(request, **kwargs)
            if isinstance(response, Response):
                self.observe(response)
            return response

        return paced_send


def retrying_session(retry_condition: RetryPredicate | None = None):
    """A requests session for any client library (simple-salesforce takes `session=`);
    `retry_condition` adds a vendor's own retryable answers to 429 / 5xx / network errors."""
    config = resolve_configuration(RuntimeConfiguration())
    attempts = config.request_max_attempts
    if attempts == RuntimeConfiguration.request_max_attempts:  # not configured: our default
        attempts = DEFAULT_MAX_ATTEMPTS
    client = RetryingClient(
        raise_for_status=False,  # the REST client raises from its response hook, inside the retry
        status_codes=RETRY_STATUS,
        exceptions=DEFAULT_RETRY_EXCEPTIONS,
        request_timeout=config.request_timeout,
        request_max_attempts=attempts,
        request_backoff_factor=config.request_backoff_factor,
        request_max_retry_delay=config.request_max_retry_delay,
        retry_condition=retry_condition,
    )
    return client.session


class GuardedRESTClient(RESTClient):
    """dlt's REST client whose `paginate` stops with `PagingLoop` when the next request
    repeats one it already made (a cursor or next link that does not advance)."""

    def paginate(self, *args: Any, **kwargs: Any) -> Iterator[PageData[Any]]:
        seen: set[str] = set()
        for page in super().paginate(*args, **kwargs):
            yield page
            if page.paginator is not None and page.paginator.has_next_page:
                # the request is already updated in place to ask for the next page
                step = _fingerprint(page.request)
                if step in seen:
                    raise PagingLoop(f"paging {urlsplit(page.request.url).path} does not advance: "
                                     "the API returned a next page it had already returned")
                seen.add(step)


def _fingerprint(request) -> str:
    return json.dumps([request.method, request.url, sorted((str(k), str(v)) for k, v in (request.params or {}).items()),
                       request.json], default=str, sort_keys=True)


def rest_client(
    base_url: str,
    auth: AuthBase | None = None,
    paginator: BasePaginator | None = None,
    data_selector: str | None = None,
    headers: dict[str, str] | None = None,
) -> RESTClient:
    """dlt's REST client on the retrying session; one per resource and run."""
    require_secure_url(base_url)
    return GuardedRESTClient(
        base_url=base_url.rstrip("/"),
        auth=auth,
        paginator=paginator,
        data_selector=data_selector,
        headers=headers,
        session=retrying_session(),
    )


def raise_for_status(response: Response) -> Response:
    """For single requests outside `paginate` (which raises on its own)."""
    if response.status_code >= 400:
        raise HTTPError(f"{response.status_code} error for {response.request.method} {response.url.split('?')[0]}",
                        response=response)
    return response
