"""Delighted double (REST API v1, https://app.delighted.com/docs/api): the world's NPS answers.

  GET /v1/survey_responses.json?per_page=&page=&since=&until=&updated_since=&updated_until=
                               &order=asc|desc|asc:updated_at|desc:updated_at&expand[]=person
      -> [ {id, person, survey_type, score, comment, permalink, created_at, updated_at,
            person_properties, notes, tags, additional_answers}, ... ]
  GET /v1/people.json?per_page=&since=&until=&page_info=
      -> [ {id, email, name, created_at, phone_number, last_sent_at, last_responded_at,
            next_survey_scheduled_at}, ... ]  + `Link: <…page_info=…>; rel="next"` while more
Timestamps are Unix seconds; ids are numeric strings. `per_page` defaults to 20 and is
capped at 100; `since`/`until` filter on creation, `updated_since`/`updated_until` on the
last update, all inclusive. Auth: HTTP Basic with the API key as user name and an empty
password. Errors: `{"status": 401, "message": "Unauthorized"}`, 422 with `errors` per
parameter, 429 with `Retry-After`, 500/503.

People are the world's invitees (one per e-mail, numbered in order of their first
survey; after a relationship survey the next is planned half a year later, which may lie
ahead of now); a response is an answer to one invitation, `person_properties.survey` naming
the world's survey (nps_30d / nps_90d / relationship), as a company passes it when it
sends. `add_response()` and `update_response()` stamp later than anything seeded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock, JsonApp, RequestLog, basic_credentials, json_response, parse_instant, retry_after_header, same_secret, world_end,
)
from sandbox.doubles.paging import decode_cursor, encode_cursor
from sandbox.world.format import read_table

DEFAULT_PAGE, MAX_PAGE = 20, 100
ORDERS = ("asc", "desc", "asc:updated_at", "desc:updated_at")
RELATIONSHIP_EVERY = 182 * 86_400


class Unprocessable(Exception):
    def __init__(self, parameter: str, problem: str):
        super().__init__(problem)
        self.parameter, self.problem = parameter, problem


def _error(status: int, message: str, headers: dict | None = None, errors: dict | None = None):
    body = {"status": status, "message": message, **({"errors": errors} if errors else {})}
    return json_response(body, status, headers)


def _unix(moment) -> int | None:
    return None if moment is None else int(moment.timestamp())


class DelightedDouble(JsonApp):
    vendor = "delighted"

    def __init__(self, world_dir: Path, api_key: str, log: RequestLog | None = None):
        super().__init__(api_key, log)
        self.clock = Clock(floor=world_end(world_dir))
        invitations = read_table(world_dir, "survey_invitations").to_dict("records")
        answers = read_table(world_dir, "survey_responses").to_dict("records")
        self.survey_of = {row["invitation_id"]: row["survey"] for row in invitations}
        firsts: dict[str, int] = {}
        for row in invitations:
            sent = _unix(parse_instant(row["sent_at"]))
            if sent is not None:
                firsts[row["email"]] = min(firsts.get(row["email"], sent), sent)
        for row in answers:
            answered = _unix(parse_instant(row["responded_at"]))
            if answered is not None:
                firsts.setdefault(row["email"], answered)
        self.people: dict[str, dict] = {}
        self._person_by_email: dict[str, str] = {}
        for number, (email, created) in enumerate(sorted(firsts.items(), key=lambda kv: (kv[1], kv[0])), start=1):
            self._add_person(str(number), email, created)
        for row in sorted(invitations, key=lambda r: r["sent_at"] or ""):
            sent = _unix(parse_instant(row["sent_at"]))
            person = self.people.get(self._person_by_email.get(row["email"], ""))
            if person is not None and sent is not None and sent >= (person["last_sent_at"] or 0):
                person["last_sent_at"] = sent
                # the relationship survey comes back twice a year: Delighted shows the next one planned
                person["next_survey_scheduled_at"] = sent + RELATIONSHIP_EVERY if row["survey"] == "relationship" else None
        self.responses: dict[str, dict] = {}
        scored = [r for r in answers if str(r["score"] or "").strip() and parse_instant(r["responded_at"])]
        scored.sort(key=lambda r: (parse_instant(r["responded_at"]), r["response_id"]))
        for row in scored:
            self._store_response(row["email"], int(float(row["score"])), row["comment"] or None,
                                 _unix(parse_instant(row["responded_at"])), self.survey_of.get(row["invitation_id"]))
        self.url_map = Map([
            Rule("/v1/survey_responses.json", endpoint="list_responses", methods=["GET"]),
            Rule("/v1/people.json", endpoint="list_people", methods=["GET"]),
        ], strict_slashes=False)

    # --- JsonApp hooks ----------------------------------------------------------------

    def authorized(self, request) -> bool:
        given = basic_credentials(request)
        return given is not None and same_secret(given[0], self.token)

    def unauthorized(self, request):
        return _error(401, "Unauthorized")

    def not_found(self, request):
        return _error(404, "Not Found")

    def method_not_allowed(self, request):
        return _error(405, "Method Not Allowed")

    def rate_limited(self, request, fault):
        return _error(429, "Too Many Requests", retry_after_header(fault) or {"Retry-After": "1"})

    def server_failure(self, request, fault):
        status = fault.status or 500
        return _error(status, "Service Unavailable" if status == 503 else "Internal Server Error")

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except Unprocessable as exc:
            return _error(422, "Unprocessable Entity", errors={exc.parameter: [exc.problem]})

    # --- endpoints ----------------------------------------------------------------------

    def list_responses(self, request):
        args = request.args
        size = _per_page(args)
        page = _positive(args, "page", 1)
        order = args.get("order", "asc")
        if order not in ORDERS:
            raise Unprocessable("order", "is not included in the list")
        rows = list(self.responses.values())
        for name, field, keep in (("since", "created_at", lambda v, x: v >= x), ("until", "created_at", lambda v, x: v <= x),
                                  ("updated_since", "updated_at", lambda v, x: v >= x),
                                  ("updated_until", "updated_at", lambda v, x: v <= x)):
            if name in args:
                bound = _timestamp(args, name)
                rows = [r for r in rows if keep(r[field], bound)]
        field = "updated_at" if order.endswith("updated_at") else "created_at"
        rows.sort(key=lambda r: (r[field], int(r["id"])), reverse=order.startswith("desc"))
        chosen = rows[(page - 1) * size: page * size]
        expand = set(args.getlist("expand[]"))
        return json_response([self._public_response(r, "person" in expand) for r in chosen])

    def list_people(self, request):
        args = request.args
        size = _per_page(args)
        rows = sorted(self.people.values(), key=lambda p: int(p["id"]))
        for name, keep in (("since", lambda v, x: v >= x), ("until", lambda v, x: v <= x)):
            if name in args:
                bound = _timestamp(args, name)
                rows = [p for p in rows if keep(p["created_at"], bound)]
        if args.get("page_info"):
            try:
                (after,) = decode_cursor(args["page_info"], 1)
                rows = [p for p in rows if int(p["id"]) > int(after)]
            except ValueError:
                raise Unprocessable("page_info", "is invalid") from None
        chosen = rows[:size]
        headers = {}
        if len(rows) > size:
            query = {k: v for k, v in args.items() if k != "page_info"}
            query["page_info"] = encode_cursor(chosen[-1]["id"])
            headers["Link"] = f'<{request.host_url.rstrip("/")}{request.path}?{urlencode(query)}>; rel="next"'
        return json_response([dict(p) for p in chosen], headers=headers)

    # --- state, also used by tests ------------------------------------------------------

    def add_response(self, email: str, score: int, comment: str | None = None, survey: str | None = None) -> dict:
        """A new answer, stamped now (later than anything seeded); a new e-mail becomes a person."""
        with self.lock:
            now = _unix(self.clock.now())
            if email not in self._person_by_email:
                self._add_person(str(len(self.people) + 1), email, now)
            return self._public_response(self._store_response(email, score, comment, now, survey), False)

    def update_response(self, response_id: str, **changes) -> dict:
        """Edit a response (score, comment); it gets a later `updated_at`."""
        with self.lock:
            record = self.responses[response_id]
            record.update(changes)
            record["updated_at"] = max(_unix(self.clock.now()), record["updated_at"] + 1)
            return self._public_response(record, False)

    def records(self) -> list[dict]:
        with self.lock:
            return [self._public_response(r, True) for r in self.responses.values()]

    # --- internals ----------------------------------------------------------------------

    def _add_person(self, person_id: str, email: str, created: int) -> None:
        local = email.split("@", 1)[0].replace(".", " ").title()
        self.people[person_id] = {
            "id": person_id, "email": email, "name": local, "created_at": created, "phone_number": None,
            "last_sent_at": None, "last_responded_at": None, "next_survey_scheduled_at": None}
        self._person_by_email[email] = person_id

    def _store_response(self, email: str, score: int, comment: str | None, at: int, survey: str | None) -> dict:
        person_id = self._person_by_email[email]
        response_id = str(len(self.responses) + 1)
        digest = hashlib.sha256(f"delighted|{response_id}".encode()).hexdigest()[:32]
        record = {
            "id": response_id, "person": person_id, "survey_type": "nps", "score": score, "comment": comment,
            "permalink": f"https://app.delighted.com/r/{digest}", "created_at": at, "updated_at": at,
            "person_properties": {"survey": survey} if survey else None, "notes": [], "tags": [],
            "additional_answers": []}
        self.responses[response_id] = record
        person = self.people[person_id]
        person["last_responded_at"] = max(person["last_responded_at"] or 0, at)
        return record

    def _public_response(self, record: dict, expand_person: bool) -> dict:
        out = dict(record)
        if expand_person:
            out["person"] = dict(self.people[record["person"]])
        return out


def _per_page(args) -> int:
    return min(_positive(args, "per_page", DEFAULT_PAGE), MAX_PAGE)


def _positive(args, name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Unprocessable(name, "must be a positive integer")
    return int(raw)


def _timestamp(args, name: str) -> int:
    raw = args.get(name, "")
    if not raw.isdigit():
        raise Unprocessable(name, "must be a Unix timestamp")
    return int(raw)
