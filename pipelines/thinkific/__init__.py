"""Thinkific source (Admin API, public v1): courses and enrollments.

Built to Thinkific's Admin API reference (developers.thinkific.com/api/api-documentation)
and its rate-limit page (developers.thinkific.com/api/rate-limits):
`https://api.thinkific.com/api/public/v1`, auth by `X-Auth-API-Key` with `X-Auth-Subdomain`
(or an OAuth `Authorization: Bearer` token), lists answer {items, meta: {pagination:
{current_page, next_page, total_pages, ...}}} and page with `page` / `limit`. The limit of
120 requests a minute answers 429 with `RateLimit-Reset` (an epoch time), which the shared
HTTP session waits out (pipelines.http).

  courses      GET /courses, read whole each run (no change filter; a few pages at most);
               `keywords` say the course kind
  enrollments  GET /enrollments?query[updated_after]=<cursor>: the learner's e-mail,
               activated_at, started_at, completed_at, updated_at

The enrollment cursor is the newest `updated_at` loaded. The listing comes in id order, not
change order, so the cursor never moves past the moment the listing started (the first
response's `Date`); a change made meanwhile is read again next run and merged on `id`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator

from pipelines.credentials import ThinkificSettings, thinkific_settings
from pipelines.cursors import UpdatedSince, listing_started
from pipelines.http import rest_client
from pipelines.validation import (
    RecordSpec,
    boolean,
    change_stamp,
    columns,
    declare_columns,
    identifier,
    nonempty_text,
    number,
    rejects_resource,
    text,
    timestamp,
)

LIMIT = 250

COURSES = RecordSpec("courses", required={"id": identifier, "name": text}, optional={"keywords": text})
ENROLLMENTS = RecordSpec(
    "enrollments",
    required={"id": identifier, "course_id": identifier, "user_email": nonempty_text, "updated_at": change_stamp},
    optional={"user_id": identifier, "activated_at": timestamp, "started_at": timestamp, "completed_at": timestamp,
              "completed": boolean, "percentage_completed": number, "expiry_date": timestamp},
)
COURSE_COLUMNS = columns(id="key", name="text", slug="text", keywords="text", product_id="bigint")
ENROLLMENT_COLUMNS = columns(
    id="key", course_id="bigint", course_name="text", user_id="bigint", user_email="text", user_name="text",
    activated_at="timestamp", started_at="timestamp", completed_at="timestamp", completed="bool",
    percentage_completed="double", expired="bool", is_free_trial="bool", expiry_date="timestamp",
    updated_at="timestamp")


@dlt.source(name="thinkific")
def thinkific(settings: ThinkificSettings | None = None, limit: int = LIMIT) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"courses": COURSE_COLUMNS, "enrollments": ENROLLMENT_COLUMNS})
    yield dlt.resource(_courses, name="courses", primary_key="id", write_disposition="merge")(settings, limit)
    yield dlt.resource(_enrollments, name="enrollments", primary_key="id", write_disposition="merge")(settings, limit)
    yield rejects_resource()


def _client(settings: ThinkificSettings | None):
    settings = settings or thinkific_settings()
    if settings.access_token:
        return rest_client(settings.base_url, auth=BearerTokenAuth(settings.access_token))
    return rest_client(settings.base_url, auth=APIKeyAuth(name="X-Auth-API-Key", api_key=settings.api_key),
                       headers={"X-Auth-Subdomain": settings.subdomain})


def _paginator() -> PageNumberPaginator:
    return PageNumberPaginator(base_page=1, page_param="page", total_path="meta.pagination.total_pages")


def _courses(settings: ThinkificSettings | None, limit: int) -> Iterator[Any]:
    client = _client(settings)
    for page in client.paginate("/courses", params={"limit": limit}, paginator=_paginator(), data_selector="items"):
        yield from COURSES.split(page, lambda r: {k: r.get(k) for k in COURSE_COLUMNS})


def _enrollments(settings: ThinkificSettings | None, limit: int) -> Iterator[Any]:
    cursor = UpdatedSince("updated_at")
    client = _client(settings)
    params = {"limit": limit, "query[updated_after]": cursor.since_text}
    for page in client.paginate("/enrollments", params=params, paginator=_paginator(), data_selector="items"):
        if cursor.ceiling is None:
            cursor.hold_at(listing_started(page.response))
        for item in ENROLLMENTS.split(page, lambda r: {k: r.get(k) for k in ENROLLMENT_COLUMNS}):
            if isinstance(item, list):
                cursor.observe(item)
            yield item
