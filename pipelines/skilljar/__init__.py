"""Skilljar source (REST API v1): courses, published courses, enrollments, course progress.

Built to https://api.skilljar.com/docs/ and Skilljar's "Getting started with the Skilljar
API": HTTP Basic auth with the API key as the user and an empty password; lists answer
{count, next, previous, results} and are followed by their absolute `next` link
(`page_size` up to 1000). Resources:

  courses            GET /v1/courses (labels say the course kind)
  published_courses  GET /v1/domains/{domain}/published-courses
  enrollments        GET /v1/domains/{domain}/published-courses/{id}/enrollments, per
                     published course (the learner's e-mail, enrolled_at)
  course_progress    GET /v1/users/{user_id}/published-courses, per learner (completed_at)

Incremental cursor. API v1 has no "changed since" filter on any of these lists, so the
lists are read whole (a few pages each) and merged on their ids. What is expensive is the
progress: one request per learner. Skilljar documents a course completion as a static
stamp that stays once reached, so a learner whose every (learner, published course) pair
is already loaded as completed needs no request; the pairs loaded as completed are kept in
the resource's state (`completed`) and only learners with an open pair are asked. A pair
the API un-completes later would not be seen again; a full refresh (`cs360` drops the state
with the dataset) reads every learner once more.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from pipelines.credentials import SkilljarSettings, skilljar_settings
from pipelines.http import raise_for_status, rest_client
from pipelines.validation import (
    RecordSpec,
    columns,
    declare_columns,
    nonempty_text,
    rejects_resource,
    text,
    timestamp,
)

PAGE_SIZE = 1000  # the API's maximum since its December 2025 pagination update

COURSES = RecordSpec("courses", required={"id": nonempty_text, "title": text},
                     optional={"created_at": timestamp, "modified_at": timestamp})
PUBLISHED = RecordSpec("published_courses", required={"id": nonempty_text, "course.id": nonempty_text})
ENROLLMENTS = RecordSpec("enrollments", required={"id": nonempty_text, "user.id": nonempty_text,
                                                   "user.email": nonempty_text, "enrolled_at": timestamp})
PROGRESS = RecordSpec("course_progress", required={
    "published_course_id": nonempty_text, "enrollment_id": nonempty_text, "course.id": nonempty_text,
    "course_progress.course_progress_id": nonempty_text,
}, optional={"enrolled_at": timestamp, "course_progress.completed_at": timestamp,
             "course_progress.latest_activity": timestamp})

TABLES = {
    "courses": columns(id="text_key", title="text", labels="text", created_at="timestamp", modified_at="timestamp"),
    "published_courses": columns(id="text_key", course_id="text", course_title="text", slug="text"),
    "enrollments": columns(id="text_key", published_course_id="text", course_id="text", user_id="text",
                           email="text", enrolled_at="timestamp", expires_at="timestamp", active="bool"),
    "course_progress": columns(course_progress_id="text_key", user_id="text", published_course_id="text",
                               course_id="text", course_title="text", enrollment_id="text",
                               enrolled_at="timestamp", completed_at="timestamp", latest_activity="timestamp"),
}


@dlt.source(name="skilljar")
def skilljar(settings: SkilljarSettings | None = None, page_size: int = PAGE_SIZE) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns(TABLES)
    # shared by the resources of one run: the settings, one client, the learners already asked
    config = {"settings": settings, "page_size": page_size, "client": None, "asked": set()}
    yield dlt.resource(_courses, name="courses", primary_key="id", write_disposition="merge")(config)
    published = dlt.resource(_published_courses, name="published_courses", primary_key="id",
                             write_disposition="merge")(config)
    yield published
    enrollments = dlt.transformer(_enrollments, name="enrollments", primary_key="id", write_disposition="merge")
    enrollments = published | enrollments(config)
    yield enrollments
    progress = dlt.transformer(_course_progress, name="course_progress", primary_key="course_progress_id",
                               write_disposition="merge")
    yield enrollments | progress(config)
    yield rejects_resource()


class SameOriginLinkPaginator(JSONLinkPaginator):
    """Follows the `next` link only to the API's own scheme, host and port: every request
    carries the key, and a link elsewhere (a misconfigured proxy, a tampered answer) would
    hand it over."""

    def update_request(self, request) -> None:
        if self._next_reference:
            target, origin = urlsplit(urljoin(request.url, self._next_reference)), urlsplit(request.url)
            if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
                raise ValueError(f"Skilljar's next link leads to {target.netloc or 'nowhere'}, not the API at "
                                 f"{origin.netloc}: not followed (the API key would go with it)")
        super().update_request(request)


def _client(config: dict):
    settings = config["settings"] = config["settings"] or skilljar_settings()
    if config["client"] is None:
        config["client"] = rest_client(settings.base_url, auth=HttpBasicAuth(settings.api_key, ""),
                                       headers={"Accept": "application/json"})
    return settings, config["client"]


def _pages(config: dict, path: str, spec: RecordSpec, shape) -> Iterator[Any]:
    _, client = _client(config)
    params = {"page_size": config["page_size"]}
    for page in client.paginate(path, params=params, paginator=SameOriginLinkPaginator(next_url_path="next"),
                                data_selector="results"):
        yield from spec.split(page, shape)


def _courses(config: dict) -> Iterator[Any]:
    yield from _pages(config, "/courses", COURSES, lambda r: {
        "id": r["id"], "title": r.get("title"), "labels": ",".join(_labels(r.get("labels"))),
        "created_at": r.get("created_at"), "modified_at": r.get("modified_at")})


def _published_courses(config: dict) -> Iterator[Any]:
    settings, _ = _client(config)
    yield from _pages(config, f"/domains/{settings.domain}/published-courses", PUBLISHED, lambda r: {
        "id": r["id"], "course_id": r["course"]["id"], "course_title": r["course"].get("title"),
        "slug": r.get("slug")})


def _enrollments(published: list[dict], config: dict) -> Iterator[Any]:
    settings, _ = _client(config)
    for course in published:
        if not isinstance(course, dict) or "course_id" not in course:  # a quarantined record
            continue
        path = f"/domains/{settings.domain}/published-courses/{course['id']}/enrollments"
        yield from _pages(config, path, ENROLLMENTS, lambda r, course=course: {
            "id": r["id"], "published_course_id": course["id"], "course_id": course["course_id"],
            "user_id": r["user"]["id"], "email": r["user"]["email"], "enrolled_at": r.get("enrolled_at"),
            "expires_at": r.get("expires_at"), "active": r.get("active")})


def _course_progress(enrollments: list[dict], config: dict) -> Iterator[Any]:
    """Progress of each learner with a pair not yet loaded as completed (see the module doc)."""
    state = dlt.current.resource_state()
    completed: list[str] = state.setdefault("completed", [])
    done, asked = set(completed), config["asked"]
    _, client = _client(config)
    for enrollment in enrollments:
        if not isinstance(enrollment, dict) or "user_id" not in enrollment:  # a quarantined record
            continue
        user = enrollment["user_id"]
        if f"{user}/{enrollment['published_course_id']}" in done or user in asked:
            continue
        asked.add(user)
        response = raise_for_status(client.get(f"/users/{user}/published-courses"))
        for item in PROGRESS.split(response.json(), lambda r, user=user: _progress_row(user, r)):
            if isinstance(item, list):
                for row in item:
                    key = f"{user}/{row['published_course_id']}"
                    if row["completed_at"] and key not in done:
                        done.add(key)
                        completed.append(key)
            yield item


def _progress_row(user_id: str, record: dict) -> dict:
    progress = record["course_progress"]
    return {"course_progress_id": progress["course_progress_id"], "user_id": user_id,
            "published_course_id": record["published_course_id"], "course_id": record["course"]["id"],
            "course_title": record["course"].get("title"), "enrollment_id": record["enrollment_id"],
            "enrolled_at": record.get("enrolled_at"), "completed_at": progress.get("completed_at"),
            "latest_activity": progress.get("latest_activity")}


def _labels(value: Any) -> list[str]:
    """Labels come as names (the request shape) or objects with a name."""
    if not isinstance(value, list):
        return []
    names = [v.get("name") if isinstance(v, dict) else v for v in value]
    return [n for n in names if isinstance(n, str) and n]
