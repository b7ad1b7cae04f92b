"""One retry policy for every call to a vendor: the ingest reads (dlt's REST client, and
simple-salesforce on a requests session), the CRM writes (simple-salesforce's session,
hubspot-api-client) and the alert webhook.

What is retried, and what ends a run, is one rule set per vendor (`VendorRules`), the same
for reads and writes: 429, every 5xx and dropped connections are retried; HubSpot's daily
limit (429 `policyName: DAILY`) and Salesforce's spent allowance (403
`REQUEST_LIMIT_EXCEEDED` without a `Retry-After`) are not waited out.

How long to wait is what the response asks (`rate_limit_wait`): `Retry-After` as
delta-seconds or an HTTP-date (RFC 9110 §10.2.3; a decimal number of seconds is read too),
else a `RateLimit-Reset` / `X-RateLimit-Reset` (seconds, or an epoch time), else HubSpot's
`X-HubSpot-RateLimit-Interval-Milliseconds` on a spent window. A value that is none of these
is ignored, as if absent. Without a wait from the vendor: exponential backoff with up to
`jitter` more at random (parallel callers do not retry in step), capped at `max_delay` after
the jitter. A vendor that asks for more than `max_delay`, or more than `max_attempts` tries,
gives up on the request.

The budget (attempts, backoff factor, longest wait, request timeout) is dlt's runtime
configuration, for reads and writes alike: `RUNTIME__REQUEST_MAX_ATTEMPTS`,
`RUNTIME__REQUEST_BACKOFF_FACTOR`, `RUNTIME__REQUEST_MAX_RETRY_DELAY`,
`RUNTIME__REQUEST_TIMEOUT` (`RetryPolicy.from_config`). Attempts default to
`DEFAULT_MAX_ATTEMPTS` here because a rate-limit storm easily outlasts dlt's five.

The retrying itself is tenacity's; the requests session is dlt's (`Session`: a default
timeout), with the retry around its `send`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.sources.helpers.requests import Session
from requests import ConnectionError as RequestsConnectionError
from requests import HTTPError, Response, Timeout
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError
from tenacity import RetryCallState, Retrying, retry_any, retry_if_exception_type

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10
# requests' failures that may succeed when tried again (no answer, or half of one)
NETWORK_ERRORS = (RequestsConnectionError, Timeout, ChunkedEncodingError)
# past this many seconds a reset time is an epoch timestamp, not a delay
_EPOCH_THRESHOLD = 10 * 365 * 86400
_DECIMAL_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


# --- the errors a caller sees ------------------------------------------------------------------

class TransientError(Exception):
    """A request failed in a way that may succeed later (429, 5xx, a dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class RetriesExhausted(Exception):
    """A transient failure outlasted the retry budget; what it carried is sent again next run."""


class RateLimitExhausted(Exception):
    """The vendor's daily allowance is used up: stop the run, nothing is lost."""


# --- what a response asks ----------------------------------------------------------------------

def parse_retry_after(value: Any, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds (a decimal fraction is
    accepted too) or an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms,
    all GMT); anything else is None, so the caller falls back to its own backoff."""
    text = str(value).strip()
    if _DECIMAL_SECONDS.fullmatch(text):
        return float(text)
    if not text or text[0] in "+-" or text[0].isdigit():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # asctime carries no zone: HTTP-dates are always GMT
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, moment.timestamp() - now())


def _reset_seconds(value: Any, now: Callable[[], float]) -> float | None:
    """A `RateLimit-Reset`-style value: seconds to wait, or an epoch time (s or ms)."""
    seconds = parse_retry_after(value, now)
    if seconds is None or seconds <= _EPOCH_THRESHOLD:
        return seconds
    if seconds > _EPOCH_THRESHOLD * 1000:  # epoch milliseconds
        seconds /= 1000
    return max(0.0, seconds - now())


def _lookup(headers: Mapping | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


def rate_limit_wait(headers: Mapping | None, status: int | None = None,
                    now: Callable[[], float] = time.time) -> float | None:
    """How long a response asks the caller to wait before the next request, if it says."""
    lookup = _lookup(headers)
    if "retry-after" in lookup:
        seconds = parse_retry_after(lookup["retry-after"], now)
        if seconds is not None:
            return seconds
    for name in ("ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset"):
        if name in lookup:
            seconds = _reset_seconds(lookup[name], now)
            if seconds is not None:
                return seconds
    interval = lookup.get("x-hubspot-ratelimit-interval-milliseconds")
    window_spent = status == 429 or lookup.get("x-hubspot-ratelimit-remaining", "").strip() == "0"
    if interval is not None and window_spent:
        try:
            seconds = float(interval) / 1000.0
        except ValueError:
            return None
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    return None


def budget_spent(headers: Mapping | None) -> bool:
    """The response says no request is left in the current window (`X-RateLimit-Remaining: 0`)."""
    lookup = _lookup(headers)
    for name in ("x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining"):
        value = lookup.get(name, "").strip()
        if value.isdigit():
            return int(value) == 0
    return False


# --- one rule set per vendor -------------------------------------------------------------------

class Verdict(enum.Enum):
    DONE = "done"    # an answer for the caller, success or not
    RETRY = "retry"  # worth trying again after a wait
    STOP = "stop"    # the allowance is spent: end the run (RateLimitExhausted)


@dataclass(frozen=True)
class VendorRules:
    """Which answers of one vendor are worth a retry and which end the run."""

    name: str = "http"
    retry_status: frozenset[int] = frozenset({429, *range(500, 600)})

    def verdict(self, status: int, headers: Mapping | None = None, body: str = "") -> Verdict:
        return Verdict.RETRY if status in self.retry_status else Verdict.DONE

    def wait(self, status: int | None, headers: Mapping | None) -> float | None:
        return rate_limit_wait(headers, status)


@dataclass(frozen=True)
class HubSpotRules(VendorRules):
    """429 is retried unless its `policyName` is DAILY; 423 Locked (a record busy with a
    concurrent write) is retried too."""

    name: str = "hubspot"
    retry_status: frozenset[int] = frozenset({423, 429, *range(500, 600)})

    def verdict(self, status: int, headers: Mapping | None = None, body: str = "") -> Verdict:
        if status == 429 and str(_json(body).get("policyName", "")).upper() == "DAILY":
            return Verdict.STOP
        return super().verdict(status, headers, body)


@dataclass(frozen=True)
class SalesforceRules(VendorRules):
    """403 REQUEST_LIMIT_EXCEEDED is retried when Salesforce says when (`Retry-After`);
    without it the org's allowance is spent and retrying would only burn time."""

    name: str = "salesforce"

    def verdict(self, status: int, headers: Mapping | None = None, body: str = "") -> Verdict:
        if status == 403 and "REQUEST_LIMIT_EXCEEDED" in (body or ""):
            return Verdict.RETRY if "retry-after" in _lookup(headers) else Verdict.STOP
        return super().verdict(status, headers, body)


def _json(body: str | bytes | None) -> dict:
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


DEFAULT_RULES = VendorRules()
HUBSPOT = HubSpotRules()
SALESFORCE = SalesforceRules()
VENDORS: dict[str, VendorRules] = {"hubspot": HUBSPOT, "salesforce": SALESFORCE}


def rules_for(vendor: str | None) -> VendorRules:
    return VENDORS.get(vendor or "", DEFAULT_RULES)


# --- the policy ----------------------------------------------------------------------------------

@dataclass
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # tries per request, the first included
    base_delay: float = 1.0                   # seconds before the first retry, doubled each time
    max_delay: float = 300.0                  # never wait longer than this for one retry
    jitter: float = 0.25                      # up to this share is added at random to a backoff
    timeout: float | tuple[float, float] = 60.0  # per request, for the sessions built here
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)  # every wait taken, for the audit and tests

    @classmethod
    def from_config(cls, **overrides: Any) -> RetryPolicy:
        """The budget from dlt's runtime configuration (`RUNTIME__REQUEST_*`)."""
        config = resolve_configuration(RuntimeConfiguration())
        attempts = config.request_max_attempts
        if attempts == RuntimeConfiguration.request_max_attempts:  # not configured: our default
            attempts = DEFAULT_MAX_ATTEMPTS
        values = dict(max_attempts=attempts, base_delay=float(config.request_backoff_factor),
                      max_delay=float(config.request_max_retry_delay), timeout=config.request_timeout)
        return cls(**{**values, **overrides})

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based) when the vendor named none."""
        delay = self.base_delay * 2 ** (attempt - 1) * (1 + random.random() * self.jitter)
        return min(self.max_delay, delay)  # capped after the jitter: a backoff never gives up a request

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)

    def _retrying(self, retry, asked: Callable[[RetryCallState], float | None], on_give_up) -> Retrying:
        """tenacity's `Retrying` with this budget: the vendor's wait when it names one, the
        backoff otherwise; a wait past `max_delay` or the last attempt gives up."""

        def delay(state: RetryCallState) -> float:
            seconds = asked(state)
            return self.backoff(state.attempt_number) if seconds is None else seconds

        def stop(state: RetryCallState) -> bool:
            seconds = asked(state)
            return state.attempt_number >= self.max_attempts or (seconds is not None and seconds > self.max_delay)

        return Retrying(retry=retry, wait=delay, stop=stop, sleep=self.wait, retry_error_callback=on_give_up,
                        before_sleep=_log_retry)

    def run(self, call: Callable[[], Any], describe: str = "request") -> Any:
        """Run `call`, retrying on `TransientError` within the budget; `RetriesExhausted`
        when it gives up (other exceptions, `RateLimitExhausted` among them, go through)."""

        def asked(state: RetryCallState) -> float | None:
            error = state.outcome.exception() if state.outcome else None
            return error.retry_after if isinstance(error, TransientError) else None

        def give_up(state: RetryCallState):
            error = state.outcome.exception()
            seconds = asked(state)
            if seconds is not None and seconds > self.max_delay:
                raise RetriesExhausted(
                    f"{describe}: the vendor asked to wait {seconds:.0f} s, more than the {self.max_delay:.0f} s "
                    f"this run waits: {error}") from None
            raise RetriesExhausted(f"{describe}: gave up after {state.attempt_number} tries: {error}") from None

        return self._retrying(retry_if_exception_type(TransientError), asked, give_up)(call)

    def session(self, rules: VendorRules = DEFAULT_RULES, max_connections: int = 50) -> Session:
        """A requests session (dlt's, with this policy's timeout) whose every request is
        retried by `rules`, for dlt's REST client or any client library that takes one
        (simple-salesforce's `session=`). A retry that gives up, or a STOP answer, returns
        the last response: the client raises on it as on any error. A response that says
        the window's budget is spent makes the next request wait for the reset."""
        session = Session(timeout=self.timeout, raise_for_status=False)
        adapter = HTTPAdapter(pool_maxsize=max_connections)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

        def retry_answer(state: RetryCallState) -> bool:
            response = _response_of(state)
            if response is None:
                return False
            return rules.verdict(response.status_code, response.headers, _text(response)) is Verdict.RETRY

        def asked(state: RetryCallState) -> float | None:
            response = _response_of(state)
            return None if response is None else rules.wait(response.status_code, response.headers)

        def give_up(state: RetryCallState):
            return state.outcome.result()  # the last answer, or its exception raised

        retrying = self._retrying(retry_any(retry_if_exception_type(NETWORK_ERRORS), retry_answer), asked, give_up)
        send = session.send
        pause = _Pause(self.max_delay, self.sleep)

        def retried_send(request, **kwargs):
            pause.before()
            response = retrying(send, request, **kwargs)
            pause.observe(response)
            return response

        session.send = retried_send  # type: ignore[method-assign]
        return session


def _response_of(state: RetryCallState) -> Response | None:
    """The answer of an attempt: its result, or the response of the HTTPError a response
    hook raised from it (dlt's REST client raises on an error status inside `send`)."""
    if state.outcome is None:
        return None
    if state.outcome.failed:
        error = state.outcome.exception()
        return error.response if isinstance(error, HTTPError) and isinstance(error.response, Response) else None
    result = state.outcome.result()
    return result if isinstance(result, Response) else None


def _text(response: Response) -> str:
    """The body of an error answer, for the vendor rules (which read error codes)."""
    if response.status_code < 400:
        return ""
    try:
        return response.text
    except (RuntimeError, ValueError):  # a streamed body already consumed
        return ""


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    if outcome is not None and outcome.failed:
        error = outcome.exception()
        what = type(error).__name__ + (f" {error.status}" if getattr(error, "status", None) else "")
    else:
        result = outcome.result() if outcome else None
        what = f"HTTP {result.status_code}" if isinstance(result, Response) else "an answer to retry"
    wait = state.next_action.sleep if state.next_action else 0
    log.warning("retrying after %s (attempt %s), waiting %.1fs", what, state.attempt_number, wait)


class _Pause:
    """Waits before a request when the previous response said the window's budget was spent
    (outside the retry: a spent budget delays the next request, not the retry of this one)."""

    def __init__(self, max_delay: float, sleep: Callable[[float], None]):
        self.max_delay = float(max_delay)
        self.sleep = sleep
        self._until = 0.0
        self._lock = threading.Lock()

    def observe(self, response: Any) -> None:
        if isinstance(response, Response) and response.status_code < 400 and budget_spent(response.headers):
            wait = rate_limit_wait(response.headers, response.status_code)
            if wait:
                with self._lock:
                    self._until = max(self._until, time.monotonic() + min(wait, self.max_delay))

    def before(self) -> None:
        with self._lock:
            wait = self._until - time.monotonic()
        if wait > 0:
            log.info("rate-limit budget spent, waiting %.1fs before the next request", wait)
            self.sleep(wait)
