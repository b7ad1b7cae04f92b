"""Delighted (NPS-native survey tool): survey responses and people → raw_delighted.

Built to Delighted's REST API v1 (https://app.delighted.com/docs/api):

- Auth: HTTP Basic, the API key as user name and an empty password; HTTPS only.
- `GET /v1/survey_responses.json`: `per_page` (max 100), `page`, `updated_since` (Unix
  seconds, inclusive), `order=asc:updated_at`, `expand[]=person` (the person object, with
  its e-mail, instead of its id). Timestamps are Unix seconds; `updated_at` may be null
  on a response never edited, and then the creation time stands in for it.
- `GET /v1/people.json`: `per_page` (max 100), cursor paging through the `Link` header
  (`rel="next"`, a `page_info` URL). People change (last sent, last responded) without an
  update filter to ask for them, so the list is read whole on every run (replace).
- 429 with `Retry-After` (seconds), handled by the shared retrying client, as are 5xx.

Responses page by key, not by page number: each next request asks `updated_since` = the
last `updated_at` of the page (page 1), so a response edited while the listing runs (it
moves to the end of the order) cannot shift another across a page boundary; only when a
whole page shares one second does the page number advance within that second.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import BasePaginator, HeaderLinkPaginator
from requests import Request, Response

from pipelines.credentials import DelightedSettings, delighted_settings
from pipelines.cursors import UpdatedSince, listing_started
from pipelines.http import rest_client
from pipelines.validation import (
    RecordSpec, columns, declare_columns, identifier, integer, integer_between, latest_believable, rejects_resource,
    text,
)

PAGE_SIZE = 100  # Delighted's maximum
MAX_UNIX = 253402300799  # 9999-12-31T23:59:59Z

RESPONSE_COLUMNS = columns(
    id="text_key", person_id="text", email="text", survey_type="text", score="bigint", comment="text",
    permalink="text", person_properties="json", tags="json", created_at="timestamp", updated_at="timestamp",
)
PEOPLE_COLUMNS = columns(
    id="text_key", email="text", name="text", created_at="timestamp", last_sent_at="timestamp",
    last_responded_at="timestamp", next_survey_scheduled_at="timestamp",
)


def unix_time(value: Any) -> str | None:
    """A Delighted timestamp: whole Unix seconds."""
    problem = integer(value)
    if problem is not None:
        return problem.replace("an integer", "Unix seconds")
    return None if 0 <= value <= MAX_UNIX else f"{value} is no Unix time"


def unix_change_stamp(value: Any) -> str | None:
    """A creation or update time: Unix seconds, not in the future beyond the allowed skew
    (one such stamp would move the cursor past every later change)."""
    problem = unix_time(value)
    if problem is None and _moment(value) > latest_believable():
        problem = f"{value} lies in the future (more than a day ahead of now)"
    return problem


def person(value: Any) -> str | None:
    """The person's id, or the person itself (`expand[]=person`) with its id."""
    if isinstance(value, dict):
        problem = identifier(value.get("id"))
        return None if problem is None else f"id: {problem}"
    return identifier(value)


RESPONSES = RecordSpec(
    "survey_responses",
    required={"id": identifier, "person": person, "score": integer_between(0, 10), "created_at": unix_change_stamp},
    optional={"updated_at": unix_change_stamp, "comment": text, "survey_type": text, "person.email": text},
)
# people are read whole (no cursor): a time ahead of now, like the next survey planned, is fine
PEOPLE = RecordSpec("people", required={"id": identifier, "created_at": unix_time},
                    optional={"email": text, "last_sent_at": unix_time, "last_responded_at": unix_time,
                              "next_survey_scheduled_at": unix_time})


@dlt.source(name="delighted")
def delighted(settings: DelightedSettings | None = None, page_size: int = PAGE_SIZE) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"survey_responses": RESPONSE_COLUMNS, "people": PEOPLE_COLUMNS})
    yield dlt.resource(_survey_responses, name="survey_responses", primary_key="id", write_disposition="merge")(
        settings, page_size)
    yield dlt.resource(_people, name="people", primary_key="id", write_disposition="replace")(settings, page_size)
    yield rejects_resource()


def _client(settings: DelightedSettings):
    return rest_client(settings.base_url, auth=HttpBasicAuth(settings.api_key, ""))


class UpdatedKeyPaginator(BasePaginator):
    """Delighted's responses in `updated_at` order, paged by key: the next request starts at
    the last page's newest `updated_at` (inclusive, so a few records come twice and merge),
    and turns the page number only while a whole page shares that second."""

    def __init__(self, since: int, page_size: int):
        super().__init__()
        self.since, self.page, self.page_size = since, 1, page_size

    def init_request(self, request: Request) -> None:
        self.update_request(request)

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        if not data or len(data) < self.page_size:
            self._has_next_page = False
            return
        last = _changed(data[-1])
        if last is not None and last > self.since:
            self.since, self.page = last, 1
        else:
            self.page += 1

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "updated_since": self.since, "page": self.page}


def _survey_responses(settings: DelightedSettings | None, page_size: int) -> Iterator[Any]:
    settings = settings or delighted_settings()
    cursor = UpdatedSince("updated_at")
    paginator = UpdatedKeyPaginator(cursor.since_epoch, page_size)
    params = {"per_page": page_size, "order": "asc:updated_at", "expand[]": "person"}
    for number, page in enumerate(_client(settings).paginate("/v1/survey_responses.json", params=params,
                                                              paginator=paginator, data_selector="$")):
        if number == 0:
            # a response edited behind the read position while the listing runs is read next time
            cursor.hold_at(listing_started(page.response))
        for item in RESPONSES.split(page, _response_row):
            if isinstance(item, list):
                cursor.observe(item)
            yield item


def _people(settings: DelightedSettings | None, page_size: int) -> Iterator[Any]:
    settings = settings or delighted_settings()
    for page in _client(settings).paginate("/v1/people.json", params={"per_page": page_size},
                                           paginator=HeaderLinkPaginator(), data_selector="$"):
        yield from PEOPLE.split(page, _person_row)


def _response_row(record: dict) -> dict:
    person = record["person"]
    person_id, email = (person.get("id"), person.get("email")) if isinstance(person, dict) else (person, None)
    changed = _changed(record)
    return {
        "id": str(record["id"]), "person_id": str(person_id), "email": email,
        "survey_type": record.get("survey_type"), "score": record["score"], "comment": record.get("comment"),
        "permalink": record.get("permalink"), "person_properties": record.get("person_properties"),
        "tags": record.get("tags"), "created_at": _iso(record["created_at"]), "updated_at": _iso(changed),
    }


def _person_row(record: dict) -> dict:
    row = {name: record.get(name) for name in PEOPLE_COLUMNS}
    row["id"] = str(record["id"])
    for name in ("created_at", "last_sent_at", "last_responded_at", "next_survey_scheduled_at"):
        row[name] = _iso(record.get(name))
    return row


def _changed(record: Any) -> int | None:
    """The response's change time: `updated_at`, or its creation when never edited."""
    if not isinstance(record, dict):
        return None
    value = record.get("updated_at") if record.get("updated_at") is not None else record.get("created_at")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _iso(seconds: int | None) -> str | None:
    return None if seconds is None else _moment(seconds).isoformat().replace("+00:00", "Z")
