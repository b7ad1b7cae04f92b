"""Zendesk Support source: tickets (+ their requesters), ticket metrics, satisfaction ratings.

- `tickets` and `users` come from one cursor-based incremental ticket export
  (`/api/v2/incremental/tickets/cursor.json`, `include=users` side-loads the requesters).
  The first run starts at `start_time=0`; every page's `after_cursor` is kept in dlt state
  and the next run resumes from it, so it is served only the tickets changed since.
  Deleted tickets stay in the export with `status = deleted`: they are marked
  `is_deleted`, not kept alive.
- `ticket_metrics` (reply and resolution times) has no change filter. The first run lists
  them all with cursor pagination; later runs ask for the metrics of the tickets the export
  reported as changed (`/api/v2/tickets/{id}/metrics`), or list them all again when more
  than `METRICS_PER_TICKET_LIMIT` tickets changed (fewer requests than one per ticket).
- `satisfaction_ratings` (received good/bad ratings) are read with `start_time` = the
  newest rating loaded, cursor pagination.

Auth is Basic `{email}/token:{api_token}`. Throttling (429 + Retry-After, 10 export
requests a minute) is handled by the retrying session of `pipelines.http`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import BasePaginator, JSONLinkPaginator
from requests import Request, Response

from cs360_core.killpoints import kill_point
from pipelines.credentials import ZendeskSettings, zendesk_settings
from pipelines.cursors import UpdatedSince
from pipelines.http import raise_for_status, rest_client
from pipelines.validation import (
    RecordSpec, as_rejects, change_stamp, columns, declare_columns, integer, one_of, rejected_row, rejects_resource, text,
    timestamp,
)

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
PAGE_SIZE = 100  # the maximum for cursor-paginated list endpoints
METRICS_PER_TICKET_LIMIT = 100

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed", "deleted")
RATING_SCORES = ("good", "bad", "offered", "unoffered")

TICKETS = RecordSpec("tickets", required={"id": integer, "created_at": change_stamp, "updated_at": change_stamp},
                     optional={"requester_id": integer, "subject": text, "priority": one_of(*PRIORITIES),
                               "status": one_of(*STATUSES), "satisfaction_rating.score": one_of(*RATING_SCORES)})
USERS = RecordSpec("users", required={"id": integer}, optional={"email": text, "name": text, "updated_at": timestamp})
METRICS = RecordSpec("ticket_metrics", required={"id": integer, "ticket_id": integer},
                     optional={"created_at": timestamp, "updated_at": timestamp, "solved_at": timestamp,
                               "reply_time_in_minutes.calendar": integer,
                               "full_resolution_time_in_minutes.calendar": integer})
RATINGS = RecordSpec("satisfaction_ratings",
                     required={"id": integer, "ticket_id": integer, "score": one_of("good", "bad"),
                               "created_at": change_stamp},
                     optional={"requester_id": integer, "updated_at": timestamp})

TICKET_COLUMNS = columns(id="key", requester_id="bigint", subject="text", priority="text", status="text",
                         created_at="timestamp", updated_at="timestamp", satisfaction_rating__score="text",
                         is_deleted="bool")
USER_COLUMNS = columns(id="key", email="text", name="text", updated_at="timestamp")
METRIC_COLUMNS = columns(id="key", ticket_id="bigint", created_at="timestamp", updated_at="timestamp",
                         solved_at="timestamp", reply_time_in_minutes__calendar="bigint",
                         reply_time_in_minutes__business="bigint", first_resolution_time_in_minutes__calendar="bigint",
                         full_resolution_time_in_minutes__calendar="bigint",
                         full_resolution_time_in_minutes__business="bigint", replies="bigint", reopens="bigint")
RATING_COLUMNS = columns(id="key", ticket_id="bigint", requester_id="bigint", score="text", created_at="timestamp",
                         updated_at="timestamp")


class ExportCursorPaginator(BasePaginator):
    """Zendesk's cursor-based incremental export: follow `after_cursor` until
    `end_of_stream`; the first request carries `start_time`, the next ones only `cursor`."""

    def __init__(self) -> None:
        super().__init__()
        self.after_cursor: str | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        body = response.json()
        self.after_cursor = body.get("after_cursor") or self.after_cursor
        self._has_next_page = not body.get("end_of_stream", True) and bool(body.get("after_cursor"))

    def update_request(self, request: Request) -> None:
        params = dict(request.params or {})
        params.pop("start_time", None)
        params["cursor"] = self.after_cursor
        request.params = params


def _client(settings: ZendeskSettings, paginator: BasePaginator | None = None):
    return rest_client(settings.base_url, auth=HttpBasicAuth(f"{settings.email}/token", settings.api_token),
                       paginator=paginator)


@dlt.source(name="zendesk")
def zendesk(settings: ZendeskSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"tickets": TICKET_COLUMNS, "users": USER_COLUMNS, "ticket_metrics": METRIC_COLUMNS,
                     "satisfaction_ratings": RATING_COLUMNS})
    export = dlt.resource(_ticket_export, name="ticket_export", selected=False)(settings)
    yield export
    yield dlt.transformer(_tickets, name="tickets", data_from=export, primary_key="id",
                          write_disposition="merge")
    yield dlt.transformer(_users, name="users", data_from=export, primary_key="id",
                          write_disposition="merge")
    yield dlt.transformer(_ticket_metrics, name="ticket_metrics", data_from=export, primary_key="id",
                          write_disposition="merge")(settings, _MetricsRun())
    yield dlt.resource(_satisfaction_ratings, name="satisfaction_ratings", primary_key="id",
                       write_disposition="merge")(settings)
    yield rejects_resource()


def _ticket_export(settings: ZendeskSettings | None) -> Iterator[dict]:
    """Export pages as {tickets, users}; the cursor advances in state page by page."""
    settings = settings or zendesk_settings()
    state = dlt.current.resource_state()
    paginator = ExportCursorPaginator()
    params: dict[str, Any] = {"include": "users"}
    if state.get("after_cursor"):
        params["cursor"] = state["after_cursor"]
    else:
        params["start_time"] = 0
    client = _client(settings)
    for page in client.paginate(EXPORT_PATH, params=params, paginator=paginator, data_selector="$"):
        body = page[0] if page else {}
        yield {"tickets": body.get("tickets") or [], "users": body.get("users") or []}
        kill_point("zendesk_export_page")
        if paginator.after_cursor:
            state["after_cursor"] = paginator.after_cursor


def _ticket_row(ticket: dict) -> dict:
    rating = ticket.get("satisfaction_rating") or {}
    return {
        "id": ticket["id"], "requester_id": ticket.get("requester_id"), "subject": ticket.get("subject"),
        "priority": ticket.get("priority"), "status": ticket.get("status"),
        "created_at": ticket["created_at"], "updated_at": ticket["updated_at"],
        "satisfaction_rating__score": rating.get("score"), "is_deleted": ticket.get("status") == "deleted",
    }


def _tickets(page: dict) -> Iterator[Any]:
    yield from TICKETS.split(page["tickets"], _ticket_row)


def _users(page: dict) -> Iterator[Any]:
    yield from USERS.split(page["users"], lambda u: {k: u.get(k) for k in USER_COLUMNS})


def _metric_row(metric: dict) -> dict:
    row = {k: metric.get(k) for k in ("id", "ticket_id", "created_at", "updated_at", "solved_at", "replies",
                                      "reopens")}
    for name in ("reply_time_in_minutes", "first_resolution_time_in_minutes", "full_resolution_time_in_minutes"):
        minutes = metric.get(name) or {}
        for kind in ("calendar", "business"):
            if f"{name}__{kind}" in METRIC_COLUMNS:
                row[f"{name}__{kind}"] = minutes.get(kind)
    return row


class _MetricsRun:
    """What the metrics transformer did in this run (state persists across runs, this not).
    The export pages reach the transformer in parallel threads (`source.parallelize()`), so
    deciding to list every metric, and the listing, happen under a lock: one page lists
    them, the pages after it find them listed. Without it each page that arrived before
    the first listing ended listed them all again (an L world's first run: 10 times)."""

    def __init__(self) -> None:
        self.listed = False
        self.lock = threading.Lock()


def _ticket_metrics(page: dict, settings: ZendeskSettings | None, run: _MetricsRun) -> Iterator[Any]:
    """A first run lists every metric once; later runs fetch the metrics of the tickets each
    export page reports as changed, or list them all once when a page holds many."""
    state = dlt.current.resource_state()
    settings = settings or zendesk_settings()
    changed = [t["id"] for t in page["tickets"]
               if isinstance(t, dict) and integer(t.get("id")) is None and t.get("status") != "deleted"]
    with run.lock:
        if run.listed:
            return
        listing = not state.get("listed") or len(changed) > METRICS_PER_TICKET_LIMIT
        if listing:
            every_metric = _list_metrics(settings)
            state["listed"] = run.listed = True
    if listing:
        yield from every_metric
        return
    client = _client(settings)
    found, bad = [], []
    for ticket_id in changed:
        response = client.get(f"/api/v2/tickets/{ticket_id}/metrics.json")
        if response.status_code == 404:  # a ticket without metrics (e.g. merged away)
            continue
        metric = raise_for_status(response).json().get("ticket_metric")
        problems = METRICS.problems(metric)
        if problems:
            bad.append(rejected_row(METRICS.resource, metric, "; ".join(problems)))
        else:
            found.append(_metric_row(metric))
    if found:
        yield found
    if bad:
        yield as_rejects(bad)


def _list_metrics(settings: ZendeskSettings) -> list[Any]:
    """Every ticket's metrics, page by page (rows and rejects, as `METRICS.split` gives them)."""
    client = _client(settings, JSONLinkPaginator(next_url_path="links.next"))
    return [item
            for metrics in client.paginate("/api/v2/ticket_metrics.json", params={"page[size]": PAGE_SIZE},
                                           data_selector="ticket_metrics")
            for item in METRICS.split(metrics, _metric_row)]


def _satisfaction_ratings(settings: ZendeskSettings | None) -> Iterator[Any]:
    settings = settings or zendesk_settings()
    cursor = UpdatedSince("created_at")
    client = _client(settings, JSONLinkPaginator(next_url_path="links.next"))
    params = {"score": "received", "start_time": cursor.since_epoch, "page[size]": PAGE_SIZE}
    for ratings in client.paginate("/api/v2/satisfaction_ratings.json", params=params,
                                   data_selector="satisfaction_ratings"):
        rows = list(RATINGS.split(ratings, lambda r: {k: r.get(k) for k in RATING_COLUMNS}))
        for item in rows:
            if isinstance(item, list):
                cursor.observe(item)
        yield from rows
