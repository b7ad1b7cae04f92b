"""NPS survey tool source: invitations and responses (NPS 30/90-day and relationship surveys).

`GET /v1/invitations` and `GET /v1/responses` take `updated_since` (ISO-8601, inclusive)
and page with `cursor` / `next_cursor` (`{"data": [...], "next_cursor": "…" | null}`).
Each resource keeps the newest `updated_at` it loaded in dlt state and asks only for what
changed since. Auth is a Bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.credentials import SurveySettings, survey_settings
from pipelines.cursors import UpdatedSince
from pipelines.http import rest_client
from pipelines.validation import (
    RecordSpec, change_stamp, columns, declare_columns, integer_between, nonempty_text, one_of, rejects_resource, text, timestamp,
)

PAGE_SIZE = 1000  # the tool's maximum
SURVEYS = ("nps_30d", "nps_90d", "relationship")

INVITATIONS = RecordSpec(
    "invitations",
    required={"id": nonempty_text, "email": nonempty_text, "survey": one_of(*SURVEYS), "updated_at": change_stamp},
    optional={"sent_at": timestamp},
)
RESPONSES = RecordSpec(
    "responses",
    required={"id": nonempty_text, "score": integer_between(0, 10), "updated_at": change_stamp},
    optional={"invitation_id": text, "email": text, "comment": text, "responded_at": timestamp},
)
INVITATION_COLUMNS = columns(id="text_key", email="text", survey="text", sent_at="timestamp", updated_at="timestamp")
RESPONSE_COLUMNS = columns(id="text_key", invitation_id="text", email="text", score="bigint", comment="text",
                           responded_at="timestamp", updated_at="timestamp")


@dlt.source(name="surveys")
def surveys(settings: SurveySettings | None = None, page_size: int = PAGE_SIZE) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"invitations": INVITATION_COLUMNS, "responses": RESPONSE_COLUMNS})
    yield dlt.resource(_records, name="invitations", primary_key="id", write_disposition="merge")(
        "/v1/invitations", INVITATIONS, INVITATION_COLUMNS, settings, page_size
    )
    yield dlt.resource(_records, name="responses", primary_key="id", write_disposition="merge")(
        "/v1/responses", RESPONSES, RESPONSE_COLUMNS, settings, page_size
    )
    yield rejects_resource()


def _records(path: str, spec: RecordSpec, wanted: dict, settings: SurveySettings | None,
             page_size: int) -> Iterator[Any]:
    settings = settings or survey_settings()
    cursor = UpdatedSince("updated_at")
    client = rest_client(settings.base_url, auth=BearerTokenAuth(settings.api_token))
    params = {"updated_since": cursor.since_text, "page_size": page_size}
    paginator = JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor")
    for page in client.paginate(path, params=params, paginator=paginator, data_selector="data"):
        for item in spec.split(page, lambda r: {k: r.get(k) for k in wanted}):
            if isinstance(item, list):
                cursor.observe(item)
            yield item
