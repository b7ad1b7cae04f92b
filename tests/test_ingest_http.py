"""The retrying session of the REST sources (`cs360_core.http`, through pipelines.http): which
waits it reads from a response, and that a real client waits them out against a double."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from cs360_core.http import rate_limit_wait
from pipelines.http import rest_client
from test_ingest_support import sandbox  # noqa: F401  (fixture)


def _headers(**headers: str) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in headers.items()}


@pytest.mark.parametrize(("status", "headers", "wait"), [
    (429, {"Retry_After": "7"}, 7.0),
    (503, {"Retry_After": "0.5"}, 0.5),
    (429, {"RateLimit_Reset": "12"}, 12.0),
    (429, {"X_RateLimit_Reset": str(1_000_000_000 + 30)}, 30.0),  # an epoch time, 30 s ahead of `now`
    (429, {"X_HubSpot_RateLimit_Interval_Milliseconds": "10000"}, 10.0),
    (200, {"X_HubSpot_RateLimit_Interval_Milliseconds": "10000"}, None),  # a window, not a request to wait
    (500, {}, None),
])
def test_waits_named_by_the_vendors(status, headers, wait):
    assert rate_limit_wait(_headers(**headers), status, now=lambda: 1_000_000_000) == wait


def test_an_http_date_retry_after():
    now = time.time()
    assert rate_limit_wait(_headers(Retry_After=formatdate(now + 20, usegmt=True)), 429, now=lambda: now) == pytest.approx(
        20, abs=1.5)


def test_retry_after_is_waited_out_by_the_rest_client(sandbox):
    """Three 429s that each say `Retry-After: 1`: the client retries after a second each
    time (backoff alone would retry within a fraction of a second here)."""
    storm = sandbox.faults.add("lms", "/courses", "rate_limit", first=3, retry_after=1)
    client = rest_client(sandbox.env["LMS_BASE_URL"], auth=BearerTokenAuth(sandbox.env["LMS_API_TOKEN"]))
    started = time.monotonic()
    page = next(iter(client.paginate("/api/v1/courses", data_selector="data")))
    assert storm.fired == 3 and len(page) > 0
    assert time.monotonic() - started >= 3.0
