"""Freshdesk source: tickets (with SLA stats and requester), deleted tickets, satisfaction ratings.

- `tickets`: `GET /api/v2/tickets?updated_since=…&include=stats,requester&order_by=updated_at
  &order_type=asc&per_page=100`. Without `updated_since` Freshdesk lists only the last 30
  days, so the first run asks from the epoch. Page numbers are offsets: a ticket updated
  while the listing runs moves to the end and every later ticket moves back one place, so
  the ticket at the next page boundary would never be read. Each page is therefore asked
  as page 1 of a new listing from the newest `updated_at` read so far (a keyset; the
  tickets of that second come again, the merge on `id` makes that harmless); only while
  a whole page falls within one second does the listing turn to page 2, 3… of the same
  query. The newest `updated_at` loaded is the next run's `updated_since`. This also
  stays clear of the page cap Freshdesk puts on deep paging.
- deleted tickets: `GET /api/v2/tickets?filter=deleted&updated_since=…` (the predefined
  filter; deleted tickets are not in the plain listing), landed in `tickets` with
  `is_deleted = true`; a ticket restored later comes back through the plain listing.
- `satisfaction_ratings`: `GET /api/v2/surveys/satisfaction_ratings?created_since=…`, same
  paging. Its order is not documented, so the cursor is held at the moment the listing
  started (a rating given meanwhile is asked for again next run).

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
from pipelines.cursors import UpdatedSince, iso_seconds, listing_started
from pipelines.http import PagingLoop, raise_for_status, rest_client
from pipelines.validation import (
    RecordSpec, change_stamp, columns, declare_columns, integer, integer_between, rejects_resource, text, timestamp,
)

PER_PAGE = 100  # Freshdesk's maximum
MAX_WINDOWS = 1000  # a guard against a server that never stops returning full pages
MAX_REQUESTS = 100_000  # a guard for the keyset listing of tickets
FILTERS = ("new_and_my_open", "watching", "spam", "deleted")

TICKETS = RecordSpec(
    "tickets",
    required={"id": integer, "created_at": change_stamp, "updated_at": change_stamp},
    optional={"requester_id": integer, "requester.email": text, "subject": text,
              "priority": integer_between(1, 4), "status": integer, "fr_due_by": timestamp,
              "due_by": timestamp, "stats.first_responded_at": timestamp, "stats.resolved_at": timestamp},
)
RATINGS = RecordSpec(
    "satisfaction_ratings",
    required={"id": integer, "ticket_id": integer, "created_at": change_stamp},
    optional={"ratings.default_question": integer, "updated_at": timestamp, "user_id": integer},
)
TICKET_COLUMNS = columns(
    id="key", requester_id="bigint", requester__email="text", subject="text", priority="bigint", status="bigint",
    created_at="timestamp", updated_at="timestamp", fr_due_by="timestamp", due_by="timestamp",
    fr_escalated="bool", is_escalated="bool", stats__first_responded_at="timestamp",
    stats__resolved_at="timestamp", stats__closed_at="timestamp", is_deleted="bool",
)
# a ticket read twice in one run (listed, then deleted) keeps its latest version
TICKET_COLUMNS["updated_at"]["dedup_sort"] = "desc"
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
        "is_deleted": bool(ticket.get("deleted", False)),
    }


def _rating_row(rating: dict) -> dict:
    return {**{k: rating.get(k) for k in ("id", "ticket_id", "user_id", "created_at", "updated_at")},
            "ratings__default_question": (rating.get("ratings") or {}).get("default_question")}


def _windows(settings: FreshdeskSettings, path: str, params: dict, since_param: str, spec: RecordSpec,
             cursor: UpdatedSince, row) -> Iterator[Any]:
    """Pages of `path` from the cursor on, in no documented order: the cursor is held at
    the listing's start. A listing cut off by the page cap continues in a new window from
    the newest change seen."""
    client = _client(settings)
    since = cursor.since
    for _ in range(MAX_WINDOWS):
        last_page_size = 0
        for page in client.paginate(path, params={**params, since_param: iso_seconds(since)},
                                    paginator=HeaderLinkPaginator()):
            if cursor.ceiling is None:
                cursor.hold_at(listing_started(page.response))
            last_page_size = len(page)
            for item in spec.split(page, row):
                if isinstance(item, list):
                    cursor.observe(item)
                yield item
        if last_page_size < params["per_page"] or cursor.newest <= since:
            return
        since = cursor.newest  # the page cap was reached: continue from the newest change seen


def _keyset(settings: FreshdeskSettings, params: dict, cursor: UpdatedSince, row) -> Iterator[Any]:
    """Tickets in `updated_at` order, each page asked from the newest change read so far."""
    client = _client(settings)
    since, page_number = iso_seconds(cursor.since), 1
    for _ in range(MAX_REQUESTS):
        response = raise_for_status(client.get("/api/v2/tickets",
                                               params={**params, "updated_since": since, "page": page_number}))
        page = response.json()
        for item in TICKETS.split(page, row):
            if isinstance(item, list):
                cursor.observe(item)
            yield item
        if "next" not in response.links:
            return
        newest = iso_seconds(cursor.newest)
        if newest > since:
            since, page_number = newest, 1  # a new listing from the newest change read
        else:
            page_number += 1  # the whole page fell within one second: page on within it
    raise PagingLoop(f"the Freshdesk ticket listing did not end after {MAX_REQUESTS} requests")


def _tickets(settings: FreshdeskSettings | None, per_page: int) -> Iterator[Any]:
    settings = settings or freshdesk_settings()
    params = {"include": "stats,requester", "order_by": "updated_at", "order_type": "asc", "per_page": per_page}
    yield from _keyset(settings, params, UpdatedSince("updated_at"), _ticket_row)
    yield from _windows(settings, "/api/v2/tickets", {"filter": "deleted", "per_page": per_page}, "updated_since",
                        TICKETS, UpdatedSince("updated_at", state_key="deleted_since"), _deleted_row)


def _deleted_row(ticket: dict) -> dict:
    return {**_ticket_row(ticket), "is_deleted": True}


def _satisfaction_ratings(settings: FreshdeskSettings | None, per_page: int) -> Iterator[Any]:
    settings = settings or freshdesk_settings()
    yield from _windows(settings, "/api/v2/surveys/satisfaction_ratings", {"per_page": per_page}, "created_since",
                        RATINGS, UpdatedSince("created_at"), _rating_row)
