"""Skilljar REST API v1 double, seeded from a world's courses and enrollments.

Built to https://api.skilljar.com/docs/ and "Getting started with the Skilljar API"
(support.gainsight.com/Skilljar/Develop_and_Customize/API/Getting_started_with_the_Skilljar_API):

  GET /v1/ping                                            200, empty
  GET /v1/courses                                         {count, next, previous, results: [Course]}
  GET /v1/domains/{domain}/published-courses              ... results: [PublishedCourse]
  GET /v1/domains/{domain}/published-courses/{id}/enrollments   ... results: [Enrollment]
  GET /v1/users/{user_id}/published-courses               [UserPublishedCourseProgress] (not paged)

Paging: `page` (from 1) and `page_size` (default 100, at most 1000 since the December 2025
pagination update); `next` / `previous` are absolute URLs or null; a page past the end is
404 {"detail": "Invalid page."}. The API is Django REST framework: errors are
{"detail": "..."}, throttling is 429 with Retry-After and "Request was throttled.".
Auth: HTTP Basic with the API key as the user and an empty password, else 401.

The world maps as follows: a world course is a course (its kind is the course's label)
published once on the domain; a world e-mail is a user (Skilljar lower-cases e-mails); a
world enrollment is an enrollment. Course progress is per user and published course: with
two enrollments in one course the progress names the latest (`enrollment_id`,
`enrolled_at`) and lists both in `all_enrollments`; its `completed_at` is the first
completion (a completion stays once reached); `latest_activity` the latest event.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from sandbox.doubles.common import (
    Clock,
    JsonApp,
    RequestLog,
    basic_credentials,
    iso_z,
    json_response,
    person_name,
    retry_after_header,
    same_secret,
)
from sandbox.doubles.training_world import load_training, vendor_id

DOMAIN = "academy.example.com"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000


class _NotFound(Exception):
    pass


class SkilljarDouble(JsonApp):
    vendor = "skilljar"
    public_endpoints = frozenset()

    def __init__(self, world_dir: Path, api_key: str, log: RequestLog | None = None, domain: str = DOMAIN):
        super().__init__(api_key, log)
        self.domain = domain
        end, courses, enrollments = load_training(world_dir)
        self.clock = Clock(floor=end)
        self.courses: dict[str, dict] = {}
        self.published: dict[str, dict] = {}
        course_of_world: dict[str, tuple[str, str]] = {}
        for course in courses:
            course_id, published_id = vendor_id("skilljar-course", course.course_id), vendor_id(
                "skilljar-published", course.course_id)
            course_of_world[course.course_id] = (course_id, published_id)
            self.courses[course_id] = {"id": course_id, "title": course.title, "short_description": course.title,
                                       "labels": [course.kind] if course.kind else [],
                                       "created_at": course.published_at, "modified_at": course.published_at}
            self.published[published_id] = {"id": published_id, "course_id": course_id,
                                            "slug": f"course-{course.course_id.lower()}", "hidden": False,
                                            "registration_required": True}
        self.users: dict[str, dict] = {}
        self.enrollments: dict[str, dict] = {}  # enrollment id -> enrollment (with its world stamps)
        for row in enrollments:
            email = row.email.strip().lower()
            user_id = vendor_id("skilljar-user", email)
            self.users.setdefault(user_id, {"id": user_id, "email": email, "first_name": person_name(email)[0],
                                            "last_name": person_name(email)[1]})
            enrollment_id = vendor_id("skilljar-enrollment", row.enrollment_id)
            self.enrollments[enrollment_id] = {
                "id": enrollment_id, "user_id": user_id, "published_course_id": course_of_world[row.course_id][1],
                "enrolled_at": row.registered_at, "attended_at": row.attended_at, "completed_at": row.completed_at}
        self.url_map = Map([
            Rule("/v1/ping", endpoint="ping", methods=["GET"]),
            Rule("/v1/courses", endpoint="list_courses", methods=["GET"]),
            Rule("/v1/domains/<domain>/published-courses", endpoint="list_published", methods=["GET"]),
            Rule("/v1/domains/<domain>/published-courses/<published_id>/enrollments", endpoint="list_enrollments",
                 methods=["GET"]),
            Rule("/v1/users/<user_id>/published-courses", endpoint="user_progress", methods=["GET"]),
        ], strict_slashes=False)

    # --- auth and errors in Django REST framework's shapes ------------------------------

    def authorized(self, request) -> bool:
        given = basic_credentials(request)
        return given is not None and same_secret(given[0], self.token)

    def unauthorized(self, request):
        detail = ("Invalid username/password." if request.headers.get("Authorization")
                  else "Authentication credentials were not provided.")
        return json_response({"detail": detail}, 401, {"WWW-Authenticate": 'Basic realm="api"'})

    def not_found(self, request):
        return json_response({"detail": "Not found."}, 404)

    def method_not_allowed(self, request):
        return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)

    def rate_limited(self, request, fault):
        headers = retry_after_header(fault) or {"Retry-After": "1"}
        return json_response({"detail": "Request was throttled. Expected available in "
                                        f"{headers['Retry-After']} seconds."}, 429, headers)

    def server_failure(self, request, fault):
        return json_response({"detail": "A server error occurred."}, fault.status or 500)

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except _NotFound as exc:
            return json_response({"detail": str(exc)}, 404)

    # --- endpoints ------------------------------------------------------------------------

    def ping(self, request):
        return Response(status=200)

    def list_courses(self, request):
        rows = [self._course(c) for c in sorted(self.courses.values(), key=lambda c: c["created_at"])]
        return self._page(request, rows)

    def list_published(self, request, domain):
        self._check_domain(domain)
        rows = [self._published(p) for p in sorted(self.published.values(), key=lambda p: p["id"])]
        return self._page(request, rows)

    def list_enrollments(self, request, domain, published_id):
        self._check_domain(domain)
        if published_id not in self.published:
            raise _NotFound("Not found.")
        rows = [self._enrollment(e) for e in sorted(self.enrollments.values(), key=lambda e: (e["enrolled_at"], e["id"]))
                if e["published_course_id"] == published_id]
        return self._page(request, rows)

    def user_progress(self, request, user_id):
        if user_id not in self.users:
            raise _NotFound("Not found.")
        return json_response(self.progress(user_id))

    # --- state, also used by tests ------------------------------------------------------

    def complete(self, enrollment_id: str) -> None:
        """The learner finishes the course now."""
        with self.lock:
            record = self.enrollments[enrollment_id]
            now = self.clock.now()
            record["attended_at"] = record["attended_at"] or now
            record["completed_at"] = record["completed_at"] or now

    def progress(self, user_id: str) -> list[dict]:
        """The user's progress per published course, in the API's shape."""
        with self.lock:
            by_course: dict[str, list[dict]] = {}
            for row in self.enrollments.values():
                if row["user_id"] == user_id:
                    by_course.setdefault(row["published_course_id"], []).append(row)
            out = []
            for published_id, rows in sorted(by_course.items()):
                rows.sort(key=lambda r: (r["enrolled_at"], r["id"]))
                latest, published = rows[-1], self.published[published_id]
                course = self.courses[published["course_id"]]
                completions = [r["completed_at"] for r in rows if r["completed_at"]]
                events = [m for r in rows for m in (r["enrolled_at"], r["attended_at"], r["completed_at"]) if m]
                progress_id = vendor_id("skilljar-progress", f"{user_id}/{published_id}")
                out.append({
                    "published_course_id": published_id, "domain_name": self.domain,
                    "enrolled_at": iso_z(latest["enrolled_at"], millis=True), "enrollment_id": latest["id"],
                    "course": {"id": course["id"], "title": course["title"], "lesson_count": 6,
                               "required_lesson_count": 5},
                    "course_progress": {
                        "course_progress_id": progress_id,
                        "completed_lesson_count": 6 if completions else (3 if latest["attended_at"] else 0),
                        "completed_required_lesson_count": 5 if completions else (2 if latest["attended_at"] else 0),
                        "completed_at": iso_z(min(completions), millis=True) if completions else None,
                        "latest_activity": iso_z(max(events), millis=True) if events else None,
                        "score": None, "max_score": None, "credits_earned": "", "credit_unit_plural": "",
                        "success_status": "PASSED" if completions else None},
                    "certificate": None,
                    "all_enrollments": [{"course_progress_id": progress_id, "active": True, "expires_at": None,
                                         "enrollment_id": r["id"]} for r in rows],
                })
            return out

    def user_id(self, email: str) -> str:
        return vendor_id("skilljar-user", email.strip().lower())

    def enrollment_id(self, world_enrollment_id: str) -> str:
        return vendor_id("skilljar-enrollment", world_enrollment_id)

    # --- helpers --------------------------------------------------------------------------

    def _check_domain(self, domain: str) -> None:
        if domain != self.domain:
            raise _NotFound("Not found.")

    def _page(self, request, rows: list[dict]):
        args = request.args
        page = _positive(args.get("page"), 1, None, "page")
        size = _positive(args.get("page_size"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, "page_size")
        pages = max(1, -(-len(rows) // size))
        if page > pages:
            raise _NotFound("Invalid page.")

        def link(number: int) -> str:
            query = {**args.to_dict(), "page": number}
            return f"{request.host_url.rstrip('/')}{request.path}?{urlencode(query)}"

        return json_response({"count": len(rows), "next": link(page + 1) if page < pages else None,
                              "previous": link(page - 1) if page > 1 else None,
                              "results": rows[(page - 1) * size:page * size]})

    def _course(self, course: dict) -> dict:
        return {"id": course["id"], "title": course["title"], "short_description": course["short_description"],
                "labels": list(course["labels"]), "enforce_sequential_navigation": False,
                "created_at": iso_z(course["created_at"], millis=True),
                "modified_at": iso_z(course["modified_at"], millis=True)}

    def _published(self, published: dict) -> dict:
        course = self.courses[published["course_id"]]
        return {"id": published["id"],
                "course": {"id": course["id"], "title": course["title"], "lesson_count": 6, "required_lesson_count": 5},
                "slug": published["slug"], "hidden": published["hidden"],
                "registration_required": published["registration_required"]}

    def _enrollment(self, row: dict) -> dict:
        user = self.users[row["user_id"]]
        return {"id": row["id"], "user": dict(user), "enrolled_at": iso_z(row["enrolled_at"], millis=True),
                "expires_at": None, "active": True, "purchase": None, "rating": None, "feedback": None}


def _positive(raw: str | None, default: int, maximum: int | None, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        if name == "page":
            raise _NotFound("Invalid page.")
        return default  # DRF ignores a page_size it cannot use
    return min(int(raw), maximum) if maximum else int(raw)  # and caps one above its maximum
