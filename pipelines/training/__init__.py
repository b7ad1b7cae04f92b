"""Training / LMS source: courses and enrollments.

`GET /api/v1/courses` and `GET /api/v1/enrollments` take `updated_since` (ISO-8601,
inclusive) and page with `page` / `per_page` (`{"data": [...], "meta": {"total_pages"}}`).
Each resource keeps the newest `updated_at` it loaded in dlt state and asks only for what
changed since. The listing comes in id order, not change order: a record changed while it
runs, behind the page being read, keeps its place and is not read again, yet a later page
may carry a newer change. So the cursor never moves past the moment the listing started
(the first response's `Date`): a change made meanwhile is asked for again next run, and
the merge on `id` makes the repeat harmless. Auth is a Bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator

from pipelines.credentials import TrainingSettings, training_settings
from pipelines.cursors import UpdatedSince, listing_started
from pipelines.http import rest_client
from pipelines.validation import (
    RecordSpec, change_stamp, columns, declare_columns, nonempty_text, one_of, rejects_resource, text, timestamp,
)

PER_PAGE = 100  # the LMS's maximum
KINDS = ("onboarding", "webinar", "certification")

COURSES = RecordSpec("courses", required={"id": nonempty_text, "updated_at": change_stamp},
                     optional={"title": text, "kind": one_of(*KINDS)})
ENROLLMENTS = RecordSpec(
    "enrollments",
    required={"id": nonempty_text, "course_id": nonempty_text, "email": nonempty_text, "updated_at": change_stamp},
    optional={"registered_at": timestamp, "attended_at": timestamp, "completed_at": timestamp},
)
COURSE_COLUMNS = columns(id="text_key", title="text", kind="text", updated_at="timestamp")
ENROLLMENT_COLUMNS = columns(id="text_key", course_id="text", email="text", registered_at="timestamp",
                             attended_at="timestamp", completed_at="timestamp", updated_at="timestamp")


@dlt.source(name="training")
def training(settings: TrainingSettings | None = None, per_page: int = PER_PAGE) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"courses": COURSE_COLUMNS, "enrollments": ENROLLMENT_COLUMNS})
    yield dlt.resource(_records, name="courses", primary_key="id", write_disposition="merge")(
        "/api/v1/courses", COURSES, COURSE_COLUMNS, settings, per_page
    )
    yield dlt.resource(_records, name="enrollments", primary_key="id", write_disposition="merge")(
        "/api/v1/enrollments", ENROLLMENTS, ENROLLMENT_COLUMNS, settings, per_page
    )
    yield rejects_resource()


def _records(path: str, spec: RecordSpec, wanted: dict, settings: TrainingSettings | None,
             per_page: int) -> Iterator[Any]:
    settings = settings or training_settings()
    cursor = UpdatedSince("updated_at")
    client = rest_client(settings.base_url, auth=BearerTokenAuth(settings.api_token))
    params = {"updated_since": cursor.since_text, "per_page": per_page}
    paginator = PageNumberPaginator(base_page=1, page_param="page", total_path="meta.total_pages")
    for page in client.paginate(path, params=params, paginator=paginator, data_selector="data"):
        if cursor.ceiling is None:
            cursor.hold_at(listing_started(page.response))
        for item in spec.split(page, lambda r: {k: r.get(k) for k in wanted}):
            if isinstance(item, list):
                cursor.observe(item)
            yield item
