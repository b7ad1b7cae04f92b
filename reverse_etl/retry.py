"""Retrying the vendors' transient failures: bounded, with backoff that honours their
rate headers, on a clock that tests can shorten.

A request is retried on 429, 5xx and connection errors, waiting what the vendor asks
(`Retry-After` as delta-seconds or an HTTP-date, RFC 9110 §10.2.3; HubSpot's interval
header) or else an exponential backoff with jitter, capped at `max_delay` after the jitter.
A `Retry-After` that is neither form is ignored, as if absent. A wait longer than `max_delay`, or more than
`max_attempts` tries, gives up on the request: its records stay unconfirmed and the next
run sends them again. A daily limit (HubSpot `policyName: DAILY`, Salesforce
`REQUEST_LIMIT_EXCEEDED`) is not waited out at all: it ends the run.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class TransientError(Exception):
    """A request failed in a way that may succeed later (429, 5xx, a dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class RetriesExhausted(Exception):
    """A transient failure outlasted the retry budget; the records stay unconfirmed."""


class RateLimitExhausted(Exception):
    """The vendor's daily allowance is used up: stop the run, nothing is lost."""


@dataclass
class RetryPolicy:
    max_attempts: int = 5          # tries per request, the first included
    base_delay: float = 1.0        # seconds before the first retry, doubled each time
    max_delay: float = 60.0        # never wait longer than this for one retry
    sleep: Callable[[float], None] = time.sleep
    jitter: float = 0.1            # up to this share is added at random to a backoff delay
    waits: list[float] = field(default_factory=list)  # every wait taken, for the audit and tests

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based) when the vendor named none."""
        delay = self.base_delay * 2 ** (attempt - 1) * (1 + random.random() * self.jitter)
        return min(self.max_delay, delay)  # capped after the jitter: a backoff never gives up a request

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)

    def run(self, call: Callable[[], object], describe: str = "request") -> object:
        """Run `call`, retrying on `TransientError` within the budget."""
        attempt = 1
        while True:
            try:
                return call()
            except TransientError as exc:
                if attempt >= self.max_attempts:
                    raise RetriesExhausted(f"{describe}: gave up after {attempt} tries: {exc}") from None
                delay = exc.retry_after if exc.retry_after is not None else self.backoff(attempt)
                if delay > self.max_delay:
                    raise RetriesExhausted(
                        f"{describe}: the vendor asked to wait {delay:.0f} s, more than the {self.max_delay:.0f} s "
                        f"this run waits: {exc}") from None
                self.wait(delay)
                attempt += 1


def fast_policy(**overrides) -> RetryPolicy:
    """No real waiting: for tests and benchmarks (waits are still recorded)."""
    return RetryPolicy(sleep=lambda seconds: None, **overrides)


DELTA_SECONDS = re.compile(r"[0-9]+")


def parse_retry_after(value, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds (`1*DIGIT`) or an
    HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms, all GMT); anything
    else is None, so the caller falls back to its own backoff."""
    text = str(value).strip()
    if DELTA_SECONDS.fullmatch(text):
        return float(int(text))
    if not text or text.isdigit():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # asctime carries no zone: HTTP-dates are always GMT
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return max(0.0, moment.timestamp() - now())


def retry_after_seconds(headers, now: Callable[[], float] = time.time) -> float | None:
    """`Retry-After` or HubSpot's interval header, in seconds; None when neither is usable."""
    if not headers:
        return None
    lookup = {str(k).lower(): v for k, v in dict(headers).items()}
    value = lookup.get("retry-after")
    if value is not None:
        seconds = parse_retry_after(value, now)
        if seconds is not None:
            return seconds
    interval = lookup.get("x-hubspot-ratelimit-interval-milliseconds")
    remaining = lookup.get("x-hubspot-ratelimit-remaining")
    if interval is not None and remaining is not None and str(remaining).strip() == "0":
        try:
            seconds = float(interval) / 1000.0
        except ValueError:
            return None
        return seconds if 0 <= seconds < float("inf") else None
    return None
