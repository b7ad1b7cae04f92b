"""Training / LMS double: the world's courses and enrollments.

  GET /api/v1/courses?updated_since=&page=&per_page=
  GET /api/v1/enrollments?updated_since=&page=&per_page=
      -> {"data": [...], "meta": {"page", "per_page", "total_pages", "total_count"}}
Records in id order; `updated_since` (ISO-8601) keeps records updated at or after it;
`per_page` 1–100 (default 25, else 400); a page past the end is empty. Errors:
{"error": {"code", "message"}}. Auth: Bearer token on every request.
An enrollment's `updated_at` is its latest event (registered, attended, completed); a
course's is shortly before its first enrollment (the world has no course dates).
`complete()` and `touch()` stamp later than anything seeded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock, RequestLog, iso_z, json_response, parse_instant, stable_int, world_end,
)
from sandbox.doubles.small_api import BadRequest, SmallJsonApi
from sandbox.world.format import read_table

DEFAULT_PER_PAGE, MAX_PER_PAGE = 25, 100


class LmsDouble(SmallJsonApi):
    vendor = "lms"

    def __init__(self, world_dir: Path, token: str, log: RequestLog | None = None):
        super().__init__(token, log)
        end = world_end(world_dir)
        self.clock = Clock(floor=end)
        self.enrollments: dict[str, dict] = {}
        first_seen: dict[str, datetime] = {}
        for row in read_table(world_dir, "enrollments").to_dict("records"):
            stamps = {k: parse_instant(row[k]) for k in ("registered_at", "attended_at", "completed_at")}
            events = [m for m in stamps.values() if m is not None]
            self.enrollments[row["enrollment_id"]] = {
                "id": row["enrollment_id"], "course_id": row["course_id"], "email": row["email"], **stamps,
                "updated_at": min(max(events), end) if events else end}
            if stamps["registered_at"]:
                course = row["course_id"]
                first_seen[course] = min(first_seen.get(course, end), stamps["registered_at"])
        self.courses: dict[str, dict] = {}
        for row in read_table(world_dir, "courses").to_dict("records"):
            published = first_seen.get(row["course_id"], end) - timedelta(
                days=1 + stable_int("course", row["course_id"]) % 60)
            self.courses[row["course_id"]] = {"id": row["course_id"], "title": row["title"], "kind": row["kind"],
                                              "updated_at": min(published, end)}
        self.url_map = Map([
            Rule("/api/v1/courses", endpoint="list_records", methods=["GET"], defaults={"kind": "courses"}),
            Rule("/api/v1/enrollments", endpoint="list_records", methods=["GET"], defaults={"kind": "enrollments"}),
        ], strict_slashes=False)

    # --- endpoint -----------------------------------------------------------------------

    def list_records(self, request, kind):
        args = request.args
        per_page = _bounded(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        page = _bounded(args, "page", 1, None)
        store = self.courses if kind == "courses" else self.enrollments
        rows = sorted(store.values(), key=lambda r: r["id"])
        if args.get("updated_since"):
            try:
                since = parse_instant(args["updated_since"])
            except ValueError:
                since = None
            if since is None:
                raise BadRequest("updated_since must be an ISO-8601 timestamp")
            rows = [r for r in rows if r["updated_at"] >= since]
        chunk = rows[(page - 1) * per_page:page * per_page]
        meta = {"page": page, "per_page": per_page, "total_pages": -(-len(rows) // per_page),
                "total_count": len(rows)}
        return json_response({"data": [_public(r) for r in chunk], "meta": meta})

    # --- state, also used by tests ------------------------------------------------------

    def complete(self, enrollment_id: str) -> dict:
        """The learner attends (if not yet) and completes now."""
        with self.lock:
            record = self.enrollments[enrollment_id]
            now = self.clock.now()
            record["attended_at"] = record["attended_at"] or now
            record["completed_at"] = now
            record["updated_at"] = now
            return _public(record)

    def touch(self, kind: str, record_id: str, **changes) -> dict:
        """Change a course or an enrollment; it gets a later updated_at."""
        with self.lock:
            record = (self.courses if kind == "courses" else self.enrollments)[record_id]
            record.update(changes)
            record["updated_at"] = self.clock.now()
            return _public(record)

    def records(self, kind: str) -> list[dict]:
        with self.lock:
            store = self.courses if kind == "courses" else self.enrollments
            return [_public(r) for r in sorted(store.values(), key=lambda r: r["id"])]


def _bounded(args, name: str, default: int, maximum: int | None) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        bound = f" between 1 and {maximum}" if maximum else " of at least 1"
        raise BadRequest(f"{name} must be an integer{bound}")
    return int(raw)


def _public(record: dict) -> dict:
    return {k: iso_z(v, millis=True) if isinstance(v, datetime) else v for k, v in record.items()}
