"""Typeform double (Responses API, https://www.typeform.com/developers/responses/reference/retrieve-responses/).

  GET /forms/{form_id}/responses?page_size=&since=&until=&before=&after=
      -> {"total_items": n, "page_count": p, "items": [ {landing_id, token, response_id,
          response_type, landed_at, submitted_at, metadata, hidden, calculated, variables,
          answers: [{field: {id, type, ref}, type, number | text | email}, ...]}, ...]}
Newest first (submitted_at, then token, descending); `before` / `after` take a response
token and are exclusive; `since` / `until` (ISO-8601 UTC to the second, or Unix seconds)
are inclusive on submitted_at. `page_size` 1–1000 (default 25). Auth: Bearer token.
Errors: `{"code", "description"}` — 400 VALIDATION_ERROR, 401 AUTHENTICATION_FAILED,
404 FORM_NOT_FOUND, 429 with `Retry-After`, 5xx.

One form per world survey (nps_30d, nps_90d, relationship), ids in `form_ids`. The survey
link passes the invitee's e-mail as the hidden field `email`; the form asks the NPS
question (field type `nps`, ref `nps_score`) and "why?" (`long_text`, ref `nps_reason`).
Invitations are not served: Typeform does not send surveys, it only collects answers.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock, JsonApp, RequestLog, iso_z, json_response, parse_instant, retry_after_header, world_end,
)
from sandbox.world.format import read_table

DEFAULT_PAGE, MAX_PAGE = 25, 1000
SURVEYS = ("nps_30d", "nps_90d", "relationship")
SCORE_REF, COMMENT_REF = "nps_score", "nps_reason"
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class ValidationError(Exception):
    pass


def _error(status: int, code: str, description: str, headers: dict | None = None):
    return json_response({"code": code, "description": description}, status, headers)


def form_id_for(survey: str) -> str:
    """A stable, Typeform-looking form id (8 characters) for a world survey."""
    number = int.from_bytes(hashlib.sha256(f"typeform|{survey}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(8):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def _field_id(form_id: str, ref: str) -> str:
    return hashlib.sha256(f"{form_id}|{ref}".encode()).hexdigest()[:12]


class TypeformDouble(JsonApp):
    vendor = "typeform"

    def __init__(self, world_dir: Path, token: str, log: RequestLog | None = None):
        super().__init__(token, log)
        self.clock = Clock(floor=world_end(world_dir))
        self.form_ids = {survey: form_id_for(survey) for survey in SURVEYS}
        self.responses: dict[str, dict[str, dict]] = {form: {} for form in self.form_ids.values()}
        survey_of = {row["invitation_id"]: row["survey"]
                     for row in read_table(world_dir, "survey_invitations").to_dict("records")}
        for row in read_table(world_dir, "survey_responses").to_dict("records"):
            submitted = parse_instant(row["responded_at"])
            survey = survey_of.get(row["invitation_id"])
            if submitted is None or survey not in self.form_ids or not str(row["score"] or "").strip():
                continue
            self._store(self.form_ids[survey], row["response_id"], row["email"], int(float(row["score"])),
                        row["comment"] or None, submitted)
        self._added = 0
        self.url_map = Map([Rule("/forms/<form_id>/responses", endpoint="list_responses", methods=["GET"])],
                           strict_slashes=False)

    # --- JsonApp hooks ----------------------------------------------------------------

    def unauthorized(self, request):
        return _error(401, "AUTHENTICATION_FAILED", "Authentication credentials not found on the Request Headers")

    def not_found(self, request):
        return _error(404, "NOT_FOUND", f"Endpoint {request.path} not found")

    def method_not_allowed(self, request):
        return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed")

    def rate_limited(self, request, fault):
        return _error(429, "RATE_LIMITED", "Too many requests", retry_after_header(fault) or {"Retry-After": "1"})

    def server_failure(self, request, fault):
        return _error(fault.status or 500, "INTERNAL_SERVER_ERROR", "Something went wrong")

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except ValidationError as exc:
            return _error(400, "VALIDATION_ERROR", str(exc))

    # --- endpoint -----------------------------------------------------------------------

    def list_responses(self, request, form_id):
        if form_id not in self.responses:
            return _error(404, "FORM_NOT_FOUND", f"Non existing form with uid {form_id}")
        args = request.args
        raw_size = args.get("page_size", str(DEFAULT_PAGE))
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE:
            raise ValidationError(f"page_size must be an integer between 1 and {MAX_PAGE}")
        size = int(raw_size)
        if args.get("sort") and (args.get("before") or args.get("after")):
            raise ValidationError("sort cannot be used together with before or after")
        rows = sorted(self.responses[form_id].values(), key=lambda r: (r["_submitted"], r["token"]), reverse=True)
        if "since" in args:
            since = _moment(args["since"], "since")
            rows = [r for r in rows if r["_submitted"] >= since]
        if "until" in args:
            until = _moment(args["until"], "until")
            rows = [r for r in rows if r["_submitted"] <= until]
        total = len(rows)
        for name, older in (("before", True), ("after", False)):
            if args.get(name):
                position = next((i for i, r in enumerate(rows) if r["token"] == args[name]), None)
                if position is None:
                    raise ValidationError(f"{name} is not a token of this form's responses")
                rows = rows[position + 1:] if older else rows[:position]
        if args.get("after"):  # the page after a token is the oldest of the newer ones
            rows = rows[-size:]
        page = rows[:size]
        return json_response({"total_items": total, "page_count": math.ceil(total / size),
                              "items": [_public(r) for r in page]})

    # --- state, also used by tests ------------------------------------------------------

    def add_response(self, survey: str, email: str, score: int, comment: str | None = None) -> dict:
        """A new submission to the survey's form, stamped now (later than anything seeded)."""
        with self.lock:
            self._added += 1
            record = self._store(self.form_ids[survey], f"NEW-{self._added:05d}", email, score, comment,
                                 self.clock.now())
            return _public(record)

    def records(self, survey: str) -> list[dict]:
        with self.lock:
            rows = self.responses[self.form_ids[survey]].values()
            return [_public(r) for r in sorted(rows, key=lambda r: (r["_submitted"], r["token"]), reverse=True)]

    # --- internals ----------------------------------------------------------------------

    def _store(self, form_id: str, seed_id: str, email: str, score: int, comment: str | None,
               submitted: datetime) -> dict:
        token = hashlib.sha256(f"typeform|{form_id}|{seed_id}".encode()).hexdigest()[:32]
        submitted = submitted.replace(microsecond=0)  # Typeform stamps to the second
        answers = [{"field": {"id": _field_id(form_id, SCORE_REF), "type": "nps", "ref": SCORE_REF},
                    "type": "number", "number": score}]
        if comment:
            answers.append({"field": {"id": _field_id(form_id, COMMENT_REF), "type": "long_text", "ref": COMMENT_REF},
                            "type": "text", "text": comment})
        record = {
            "landing_id": token, "token": token, "response_id": token, "response_type": "completed",
            "landed_at": iso_z(submitted - timedelta(seconds=40 + int(token[:2], 16))),
            "submitted_at": iso_z(submitted),
            "metadata": {"user_agent": "Mozilla/5.0", "platform": "other", "referer":
                         f"https://example.typeform.com/to/{form_id}", "network_id": token[:10], "browser": "default"},
            "hidden": {"email": email}, "calculated": {"score": 0}, "variables": [], "answers": answers,
            "_submitted": submitted,
        }
        self.responses[form_id][token] = record
        return record


def _moment(raw: str, name: str) -> datetime:
    text = raw.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=timezone.utc)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} must be a Unix timestamp or an ISO-8601 date and time") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}
