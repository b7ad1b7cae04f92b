"""Freshdesk source: tickets (with SLA stats and requester) and satisfaction ratings.

- `tickets`: `GET /api/v2/tickets?updated_since=…&include=stats,requester&order_by=updated_at
  &order_type=asc&per_page=100`, following the `Link: <…>; rel="next"` header. Without
  `updated_since` Freshdesk lists only the last 30 days, so the first run asks from the
  epoch. The newest `updated_at` loaded is kept in dlt state for the next run. Freshdesk
  stops paging after a fixed number of pages; when a listing ends on a full page without a
  next link, the listing is resumed from the newest `updated_at` seen (a new window).
- `satisfaction_ratings`: `GET /api/v2/surveys/satisfaction_ratings?created_since=…`, same
  paging, cursor on `created_at`.

Auth is Basic `api_key:X`. 429 answers carry `Retry-After`, which the retrying session of
`pipelines.http` waits out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

from pipelines.credentials import FreshdeskSettings, freshdesk_settings
from pipelines.cursors import UpdatedSince, iso_seconds
from pipelines.http import rest_client
from pipelines.validation import (
    RecordSpec, columns, declare_columns, integer, integer_between, rejects_resource, text, timestamp,
)

PER_PAGE = 100  # Freshdesk's maximum
MAX_WINDOWS = 1000  # a guard against a server that never stops returning full pages

TICKETS = RecordSpec(
    "tickets",
    required={"id": integer, "created_at": timestamp, "updated_at": timestamp},
    optional={"requester_id": integer, "requester.email": text, "subject": text,
              "priority": integer_between(1, 4), "status": integer, "fr_due_by": timestamp,
              "due_by": timestamp, "stats.first_responded_at": timestamp, "stats.resolved_at": timestamp},
)
RATINGS = RecordSpec(
    "satisfaction_ratings",
    required={"id": integer, "ticket_id": integer, "created_at": timestamp},
    optional={"ratings.default_question": integer, "updated_at": timestamp, "user_id": integer},
)
TICKET_COLUMNS = columns(
    id="key", requester_id="bigint", requester__email="text", subject="text", priority="bigint", status="bigint",
    created_at="timestamp", updated_at="timestamp", fr_due_by="timestamp", due_by="timestamp",
    fr_escalated="bool", is_escalated="bool", stats__first_responded_at="timestamp",
    stats__resolved_at="timestamp", stats__closed_at="timestamp",
)
RATING_COLUMNS = columns(id="key", ticket_id="bigint", user_id="bigint", ratings__default_question="bigint",
                         created_at="timestamp", updated_at="timestamp")


def _client(settings: FreshdeskSettings):
    return rest_client(settings.base_url, auth=HttpBasicAuth(settings.api_key, "X"))


@dlt.source(name="freshdesk")
def freshdesk(settings: FreshdeskSettings | None = None, per_page: int = PER_PAGE) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"tickets": TICKET_COLUMNS, "satisfaction_ratings": RATING_COLUMNS})
    yield dlt.resource(_tickets, name="tickets", primary_key="id", write_disposition="merge")(settings, per_page)
    yield dlt.resource(_satisfaction_ratings, name="satisfaction_ratings", primary_key="id",
                       write_disposition="merge")(settings, per_page)
    yield rejects_resource()


def _ticket_row(ticket: dict) -> dict:
    stats = ticket.get("stats") or {}
    requester = ticket.get("requester") or {}
    return {
        **{k: ticket.get(k) for k in ("id", "requester_id", "subject", "priority", "status", "created_at",
                                      "updated_at", "fr_due_by", "due_by", "fr_escalated", "is_escalated")},
        "requester__email": requester.get("email"),
        "stats__first_responded_at": stats.get("first_responded_at"),
        "stats__resolved_at": stats.get("resolved_at"),
        "stats__closed_at": stats.get("closed_at"),
    }


def _rating_row(rating: dict) -> dict:
    return {**{k: rating.get(k) for k in ("id", "ticket_id", "user_id", "created_at", "updated_at")},
            "ratings__default_question": (rating.get("ratings") or {}).get("default_question")}


def _windows(settings: FreshdeskSettings, path: str, params: dict, since_param: str, spec: RecordSpec,
             cursor: UpdatedSince, row) -> Iterator[Any]:
    """Pages of `path` from the cursor on; a listing cut off by the page cap continues in a
    new window from the newest change seen."""
    client = _client(settings)
    since = cursor.since
    for _ in range(MAX_WINDOWS):
        last_page_size = 0
        for page in client.paginate(path, params={**params, since_param: iso_seconds(since)},
                                    paginator=HeaderLinkPaginator()):
            last_page_size = len(page)
            for item in spec.split(page, row):
                if isinstance(item, list):
                    cursor.observe(item)
                yield item
        if last_page_size < params["per_page"] or cursor.newest <= since:
            return
        since = cursor.newest  # the page cap was reached: continue from the newest change seen


def _tickets(settings: FreshdeskSettings | None, per_page: int) -> Iterator[Any]:
    settings = settings or freshdesk_settings()
    params = {"include": "stats,requester", "order_by": "updated_at", "order_type": "asc", "per_page": per_page}
    yield from _windows(settings, "/api/v2/tickets", params, "updated_since", TICKETS, UpdatedSince("updated_at"),
                        _ticket_row)


def _satisfaction_ratings(settings: FreshdeskSettings | None, per_page: int) -> Iterator[Any]:
    settings = settings or freshdesk_settings()
    yield from _windows(settings, "/api/v2/surveys/satisfaction_ratings", {"per_page": per_page}, "created_since",
                        RATINGS, UpdatedSince("created_at"), _rating_row)
