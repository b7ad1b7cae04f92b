"""Typeform: the responses of the NPS forms named in TYPEFORM_FORM_IDS → raw_typeform.

Built to Typeform's Responses API (https://www.typeform.com/developers/responses/reference/retrieve-responses/):

- Auth: `Authorization: Bearer <personal access token>` (scope `responses:read`).
- `GET /forms/{form_id}/responses`: `page_size` (max 1000), `since` (submitted at or
  after, ISO-8601 UTC to the second), `before` (a response token, exclusive). Without
  `sort`, responses come newest first in the order Typeform processed them, and `before`
  walks back through them without repeats. Body: `{"total_items", "page_count", "items"}`.
- 429 when the account's request rate (2 per second) is exceeded, handled with 5xx by the
  shared retrying client.

Typeform has no NPS record of its own: a response is a list of answers, each naming its
question by `field.ref`. The score is the answer to the field whose ref is
TYPEFORM_SCORE_REF (by default the first answer to an `nps` question, else to an
`opinion_scale` one), the comment the answer to TYPEFORM_COMMENT_REF (by default the first
`long_text` answer), the e-mail the hidden field TYPEFORM_EMAIL_FIELD (default `email`, as
the survey link passes it; else the first `email` answer). Every answer is kept as JSON.

Each form keeps its own cursor: the newest `submitted_at` loaded, held a little behind the
listing's start because Typeform may list the newest responses late (`SETTLE`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import Request, Response

from pipelines.credentials import TypeformSettings, typeform_settings
from pipelines.cursors import UpdatedSince, listing_started
from pipelines.http import rest_client
from pipelines.validation import (
    RecordSpec, change_stamp, columns, declare_columns, integer_between, nonempty_text, rejects_resource, timestamp,
)

PAGE_SIZE = 1000  # Typeform's maximum
SETTLE = timedelta(minutes=30)
SCORE_TYPES = ("nps", "opinion_scale")

RESPONSE_COLUMNS = columns(
    id="text_key", form_id="text", email="text", score="bigint", comment="text", landed_at="timestamp",
    submitted_at="timestamp", hidden="json", answers="json",
)


@dlt.source(name="typeform")
def typeform(settings: TypeformSettings | None = None, page_size: int = PAGE_SIZE) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"responses": RESPONSE_COLUMNS})
    yield dlt.resource(_responses, name="responses", primary_key="id", write_disposition="merge")(settings, page_size)
    yield rejects_resource()


class BeforeTokenPaginator(BasePaginator):
    """Newest first, then `before=<token of the page's last response>` until a short page."""

    def __init__(self, page_size: int):
        super().__init__()
        self.page_size = page_size
        self.token: str | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        last = data[-1] if data else None
        if not data or len(data) < self.page_size or not isinstance(last, dict) or not last.get("token"):
            self._has_next_page = False
            return
        self.token = last["token"]

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "before": self.token}


def _responses(settings: TypeformSettings | None, page_size: int) -> Iterator[Any]:
    settings = settings or typeform_settings()
    client = rest_client(settings.base_url, auth=BearerTokenAuth(settings.access_token))
    spec = RecordSpec(
        "responses",
        required={"token": nonempty_text, "submitted_at": change_stamp},
        optional={"landed_at": timestamp, "answers": _score_answer(settings.score_ref), "hidden": _mapping},
    )
    for form_id in settings.form_ids:
        cursor = UpdatedSince("submitted_at", state_key=f"submitted_since:{form_id}")
        params: dict[str, Any] = {"page_size": page_size}
        if not cursor.first_run:
            params["since"] = cursor.since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        pages = client.paginate(f"/forms/{form_id}/responses", params=params,
                                paginator=BeforeTokenPaginator(page_size), data_selector="items")
        for number, page in enumerate(pages):
            if number == 0:
                cursor.hold_at(listing_started(page.response) - SETTLE)
            for item in spec.split(page, lambda record, form=form_id: _row(form, record, settings)):
                if isinstance(item, list):
                    cursor.observe(item)
                yield item


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"expected an object, got {type(value).__name__}"


def _score_answer(score_ref: str | None):
    """The NPS answer, when the response has one, must be a whole number from 0 to 10."""
    in_range = integer_between(0, 10)

    def check(answers: Any) -> str | None:
        if not isinstance(answers, list):
            return f"expected a list of answers, got {type(answers).__name__}"
        answer = _find(answers, score_ref, SCORE_TYPES)
        if answer is None:
            return None  # the question was skipped: a response without a score
        problem = in_range(answer.get("number"))
        return None if problem is None else f"score ({_ref(answer)}): {problem}"

    return check


def _row(form_id: str, record: dict, settings: TypeformSettings) -> dict:
    answers = record.get("answers") or []
    hidden = record.get("hidden") or {}
    score = _find(answers, settings.score_ref, SCORE_TYPES)
    comment = _find(answers, settings.comment_ref, ("long_text",))
    email_answer = _find(answers, None, ("email",))
    email = hidden.get(settings.email_field) or (email_answer or {}).get("email")
    return {
        "id": record.get("response_id") or record["token"], "form_id": form_id,
        "email": email if isinstance(email, str) and email.strip() else None,
        "score": score.get("number") if score else None,
        "comment": comment.get("text") if comment and isinstance(comment.get("text"), str) else None,
        "landed_at": record.get("landed_at"), "submitted_at": record["submitted_at"],
        "hidden": hidden or None, "answers": answers or None,
    }


def _find(answers: list, ref: str | None, field_types: tuple[str, ...]) -> dict | None:
    """The answer to the field `ref`, or without a ref the first to a field of those types."""
    candidates = [a for a in answers if isinstance(a, dict) and isinstance(a.get("field"), dict)]
    if ref:
        return next((a for a in candidates if a["field"].get("ref") == ref), None)
    for field_type in field_types:
        found = next((a for a in candidates if a["field"].get("type") == field_type), None)
        if found is not None:
            return found
    return None


def _ref(answer: dict) -> str:
    return str(answer["field"].get("ref") or answer["field"].get("id"))

