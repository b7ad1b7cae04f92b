"""NPS survey tool double: the world's survey invitations and responses.

  GET /v1/invitations?updated_since=&cursor=&page_size=
  GET /v1/responses?updated_since=&cursor=&page_size=
      -> {"data": [...], "next_cursor": "…" | null}
Records come in (updated_at, id) order; `updated_since` (ISO-8601) keeps records updated
at or after it; `next_cursor` continues after the last record of the page; `page_size`
1–1000 (default 100). Errors: {"error": {"code", "message"}} (400 invalid_request, 401
unauthorized). Auth: Bearer token on every request.
Seeded records are stamped by the world (an invitation when it was sent, a response when
it was given); `add_response()` and `update_response()` stamp later.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock, RequestLog, epoch_ms, iso_z, json_response, parse_instant, world_end,
)
from sandbox.doubles.paging import SortedView, decode_cursor, encode_cursor
from sandbox.doubles.small_api import BadRequest, SmallJsonApi
from sandbox.world.format import read_table

DEFAULT_PAGE, MAX_PAGE = 100, 1000


def _score(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


class SurveyDouble(SmallJsonApi):
    unauthorized_message = "A valid Bearer token is required"
    bad_request_code = "invalid_request"
    vendor = "surveys"

    def __init__(self, world_dir: Path, token: str, log: RequestLog | None = None):
        super().__init__(token, log)
        end = world_end(world_dir)
        self.clock = Clock(floor=end)
        self.invitations: dict[str, dict] = {}
        for row in read_table(world_dir, "survey_invitations").to_dict("records"):
            sent = parse_instant(row["sent_at"])
            self.invitations[row["invitation_id"]] = {
                "id": row["invitation_id"], "email": row["email"], "survey": row["survey"],
                "sent_at": sent, "updated_at": min(sent or end, end)}
        self.responses: dict[str, dict] = {}
        for row in read_table(world_dir, "survey_responses").to_dict("records"):
            answered = parse_instant(row["responded_at"])
            self.responses[row["response_id"]] = {
                "id": row["response_id"], "invitation_id": row["invitation_id"], "email": row["email"],
                "score": _score(row["score"]), "comment": row["comment"], "responded_at": answered,
                "updated_at": min(answered or end, end)}
        self._views = {name: SortedView(lambda store=store: store.values(),
                                        key=lambda r: (epoch_ms(r["updated_at"]), r["id"]))
                       for name, store in (("invitations", self.invitations), ("responses", self.responses))}
        self._added = 0
        self.url_map = Map([
            Rule("/v1/invitations", endpoint="list_records", methods=["GET"], defaults={"kind": "invitations"}),
            Rule("/v1/responses", endpoint="list_records", methods=["GET"], defaults={"kind": "responses"}),
        ], strict_slashes=False)

    # --- endpoint -----------------------------------------------------------------------

    def list_records(self, request, kind):
        args = request.args
        raw_size = args.get("page_size", str(DEFAULT_PAGE))
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE:
            raise BadRequest(f"page_size must be an integer between 1 and {MAX_PAGE}")
        size = int(raw_size)
        position: tuple = (-(2**62), "")
        if args.get("cursor"):
            try:
                stamp, record_id = decode_cursor(args["cursor"], 2)
                position = (int(stamp), record_id)
            except ValueError:
                raise BadRequest("cursor is not valid") from None
        rows = self._views[kind].after(position)
        if args.get("updated_since"):
            try:
                since = parse_instant(args["updated_since"])
            except ValueError:
                since = None
            if since is None:
                raise BadRequest("updated_since must be an ISO-8601 timestamp")
            rows = [r for r in rows if r["updated_at"] >= since]
        page = rows[:size]
        more = len(rows) > size
        cursor = encode_cursor(epoch_ms(page[-1]["updated_at"]), page[-1]["id"]) if more else None
        return json_response({"data": [_public(r) for r in page], "next_cursor": cursor})

    # --- state, also used by tests ------------------------------------------------------

    def add_response(self, invitation_id: str, score: int, comment: str | None = None) -> dict:
        """A new answer to an invitation, stamped now (later than anything seeded)."""
        with self.lock:
            invitation = self.invitations[invitation_id]
            now = self.clock.now()
            self._added += 1
            record = {"id": f"RSP-N{self._added:05d}", "invitation_id": invitation_id,
                      "email": invitation["email"], "score": score, "comment": comment,
                      "responded_at": now, "updated_at": now}
            self.responses[record["id"]] = record
            self._views["responses"].invalidate()
            return _public(record)

    def update_response(self, response_id: str, **changes) -> dict:
        """Edit a response (score, comment); it gets a later updated_at."""
        with self.lock:
            record = self.responses[response_id]
            record.update(changes)
            record["updated_at"] = self.clock.now()
            self._views["responses"].invalidate()
            return _public(record)

    def records(self, kind: str) -> list[dict]:
        """Invitations or responses as the API serves them, in (updated_at, id) order."""
        with self.lock:
            return [_public(r) for r in self._views[kind].items()]


def _public(record: dict) -> dict:
    return {k: iso_z(v, millis=True) if isinstance(v, datetime) else v for k, v in record.items()}
