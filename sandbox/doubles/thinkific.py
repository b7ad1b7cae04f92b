"""Thinkific Admin API (public v1) double, seeded from a world's courses and enrollments.

Built to Thinkific's Admin API reference (developers.thinkific.com/api/api-documentation,
OpenAPI of the courses and enrollments operations) and its rate-limit page
(developers.thinkific.com/api/rate-limits):

  GET /api/public/v1/courses       page, limit -> {items: [Course], meta: {pagination}}
  GET /api/public/v1/enrollments   page, limit, query[updated_after], query[updated_before],
                                   query[updated_on_or_before], query[created_after],
                                   query[email], query[course_id], query[completed]
                                   -> {items: [Enrollment], meta: {pagination}}

`meta.pagination` = {current_page, next_page, prev_page, total_pages, total_items,
entries_info}; `limit` defaults to 25; a page past the end is empty. Records come in id
order. Auth: `X-Auth-API-Key` with `X-Auth-Subdomain`, or `Authorization: Bearer` (OAuth);
else 401. Errors are {"error": "..."}; the rate limit (120 requests a minute) answers 429
with `RateLimit-Reset: <epoch seconds>` (the docs' header; no Retry-After).

The world maps as follows: ids are integers (course n of the world, enrollment n); a
world e-mail is a user; `activated_at` is the registration, `started_at` the first
attendance, `completed_at` the completion; `percentage_completed` is 1.0 when completed,
0.5 when started, else 0.0; `updated_at` the latest of those. A course's `keywords` carry
its kind (onboarding, webinar, certification).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock,
    JsonApp,
    RequestLog,
    bearer_token,
    iso_z,
    json_response,
    parse_instant,
    person_name,
    same_secret,
    stable_int,
)
from sandbox.doubles.training_world import load_training

SUBDOMAIN = "academy-example"
DEFAULT_LIMIT = 25
PREFIX = "/api/public/v1"
TIME_FILTERS = {"updated_after": ("updated_at", lambda v, t: v > t), "updated_before": ("updated_at", lambda v, t: v < t),
                "updated_on_or_before": ("updated_at", lambda v, t: v <= t),
                "created_after": ("created_at", lambda v, t: v > t)}


class _BadRequest(Exception):
    pass


class ThinkificDouble(JsonApp):
    vendor = "thinkific"

    def __init__(self, world_dir: Path, api_key: str, log: RequestLog | None = None, subdomain: str = SUBDOMAIN,
                 access_token: str | None = None):
        super().__init__(api_key, log)
        self.subdomain = subdomain
        self.access_token = access_token
        end, courses, enrollments = load_training(world_dir)
        self.clock = Clock(floor=end)
        self.course_ids: dict[str, int] = {}
        self.courses: dict[int, dict] = {}
        for n, course in enumerate(courses, start=1):
            course_id = 100 + n
            self.course_ids[course.course_id] = course_id
            self.courses[course_id] = {
                "id": course_id, "name": course.title, "slug": f"course-{course_id}", "subtitle": None,
                "product_id": 500 + n, "description": course.title, "keywords": course.kind or "",
                "reviews_enabled": False, "user_id": 1, "instructor_id": 1, "chapter_ids": [],
                "administrator_user_ids": [1]}
        self.enrollments: dict[int, dict] = {}
        for row in enrollments:
            enrollment_id = int(row.enrollment_id.rsplit("-", 1)[-1]) if row.enrollment_id.rsplit("-", 1)[-1].isdigit() \
                else stable_int("thinkific-enrollment", row.enrollment_id) % 10**9
            email = row.email.strip()
            self.enrollments[enrollment_id] = {
                "id": enrollment_id, "user_email": email, "user_id": self.user_id(email),
                "user_name": " ".join(p for p in person_name(email) if p), "course_id": self.course_ids[row.course_id],
                "course_name": self.courses[self.course_ids[row.course_id]]["name"],
                "created_at": row.registered_at or row.updated_at, "activated_at": row.registered_at,
                "started_at": row.attended_at, "completed_at": row.completed_at, "updated_at": row.updated_at,
                "expiry_date": None, "is_free_trial": False}
        self.url_map = Map([
            Rule(f"{PREFIX}/courses", endpoint="list_courses", methods=["GET"]),
            Rule(f"{PREFIX}/enrollments", endpoint="list_enrollments", methods=["GET"]),
        ], strict_slashes=False)

    @staticmethod
    def user_id(email: str) -> int:
        return 10_000 + stable_int("thinkific-user", email.strip().lower()) % 10**8

    # --- auth and errors ------------------------------------------------------------------

    def authorized(self, request) -> bool:
        token = bearer_token(request)
        if token is not None:
            return self.access_token is not None and same_secret(token, self.access_token)
        key, subdomain = request.headers.get("X-Auth-API-Key"), request.headers.get("X-Auth-Subdomain")
        return bool(key and subdomain) and same_secret(key, self.token) and subdomain == self.subdomain

    def unauthorized(self, request):
        return json_response({"error": "You are not authorized to access this resource."}, 401)

    def not_found(self, request):
        return json_response({"error": "Record not found."}, 404)

    def method_not_allowed(self, request):
        return json_response({"error": f"{request.method} is not allowed"}, 405)

    def rate_limited(self, request, fault):
        wait = fault.retry_after if isinstance(fault.retry_after, (int, float)) else 1
        reset = math.ceil(time.time() + float(wait))
        return json_response({"error": "Rate limit exceeded"}, 429, {"RateLimit-Reset": str(reset)})

    def server_failure(self, request, fault):
        return json_response({"error": "Internal server error"}, fault.status or 500)

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except _BadRequest as exc:
            return json_response({"error": str(exc)}, 400)

    # --- endpoints ------------------------------------------------------------------------

    def list_courses(self, request):
        return self._page(request, [dict(c) for _, c in sorted(self.courses.items())])

    def list_enrollments(self, request):
        args = request.args
        rows = [r for _, r in sorted(self.enrollments.items())]
        for name, (field, keep) in TIME_FILTERS.items():
            raw = args.get(f"query[{name}]")
            if raw:
                try:
                    moment = parse_instant(raw)
                except ValueError:
                    raise _BadRequest(f"query[{name}] is not a valid date-time") from None
                rows = [r for r in rows if r[field] is not None and keep(r[field], moment)]
        if args.get("query[email]"):
            rows = [r for r in rows if r["user_email"].lower() == args["query[email]"].lower()]
        if args.get("query[course_id]"):
            rows = [r for r in rows if str(r["course_id"]) == args["query[course_id]"]]
        if args.get("query[completed]") in ("true", "false"):
            rows = [r for r in rows if (r["completed_at"] is not None) == (args["query[completed]"] == "true")]
        return self._page(request, [self._enrollment(r) for r in rows])

    # --- state, also used by tests ------------------------------------------------------

    def complete(self, enrollment_id: int) -> dict:
        with self.lock:
            record = self.enrollments[enrollment_id]
            now = self.clock.now()
            record["started_at"] = record["started_at"] or now
            record["completed_at"] = now
            record["updated_at"] = now
            return self._enrollment(record)

    # --- helpers --------------------------------------------------------------------------

    def _page(self, request, rows: list[dict]):
        page = _positive(request.args.get("page"), 1, "page")
        limit = _positive(request.args.get("limit"), DEFAULT_LIMIT, "limit")
        total_pages = -(-len(rows) // limit)
        chunk = rows[(page - 1) * limit:page * limit]
        first = (page - 1) * limit + 1
        return json_response({"items": chunk, "meta": {"pagination": {
            "current_page": page, "next_page": page + 1 if page < total_pages else None,
            "prev_page": page - 1 if page > 1 else None, "total_pages": total_pages, "total_items": len(rows),
            "entries_info": f"{first}-{first + len(chunk) - 1} of {len(rows)}" if chunk else f"0 of {len(rows)}"}}})

    @staticmethod
    def _enrollment(row: dict) -> dict:
        completed = row["completed_at"] is not None
        out = {k: v for k, v in row.items() if k != "created_at"}
        out.update({
            "percentage_completed": 1.0 if completed else (0.5 if row["started_at"] else 0.0),
            "completed": completed, "expired": False})
        for key in ("activated_at", "started_at", "completed_at", "updated_at", "expiry_date"):
            out[key] = iso_z(row[key], millis=True) if row[key] is not None else None
        return out


def _positive(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _BadRequest(f"{name} must be a positive integer")
    return int(raw)
