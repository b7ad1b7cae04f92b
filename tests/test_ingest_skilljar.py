"""Skilljar source (API v1) against its double: exact counts, next-link paging, the
completed-pairs cursor, faults (429, 5xx, 401, malformed records)."""

from __future__ import annotations

import json

import pytest
from test_ingest_support import (  # noqa: F401  (fixtures)
    count,
    home,
    params,
    query,
    rejects,
    requests_to,
    run_source,
    world_rows,
)

from pipelines.skilljar import skilljar
from sandbox.doubles.server import Sandbox


@pytest.fixture
def sandbox(tiny_world, tmp_path, monkeypatch):
    with Sandbox(tiny_world, tmp_path / "sandbox", lms_vendor="skilljar") as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
        yield running


def pairs(world) -> dict[tuple[str, str], bool]:
    """(learner e-mail lower-cased, course) -> completed: Skilljar's course progress."""
    out: dict[tuple[str, str], bool] = {}
    for row in world_rows(world, "enrollments"):
        key = (row["email"].strip().lower(), row["course_id"])
        out[key] = out.get(key, False) or bool(row["completed_at"])
    return out


def test_first_load_lands_every_list_exactly(sandbox, home, tiny_world):
    run_source(skilljar, home, page_size=10)

    courses, enrollments, progress = (world_rows(tiny_world, "courses"), world_rows(tiny_world, "enrollments"),
                                      pairs(tiny_world))
    assert count(home, "raw_skilljar.courses") == count(home, "raw_skilljar.published_courses") == len(courses)
    assert count(home, "raw_skilljar.enrollments") == len(enrollments)
    assert count(home, "raw_skilljar.course_progress") == len(progress)
    assert query(home, "select count(completed_at) from raw_skilljar.course_progress")[0][0] == sum(progress.values())
    labels = sorted(r[0] for r in query(home, "select labels from raw_skilljar.courses"))
    assert labels == sorted(c["kind"] for c in courses)
    emails = {r[0] for r in query(home, "select email from raw_skilljar.enrollments")}
    assert emails == {e["email"].strip().lower() for e in enrollments}
    # every list followed its next links (page_size 10): 8 enrollments lists, one per course
    enrollment_pages = requests_to(sandbox, "skilljar", "/enrollments")
    per_course = {}
    for row in enrollments:
        per_course[row["course_id"]] = per_course.get(row["course_id"], 0) + 1
    assert len(enrollment_pages) == sum(-(-n // 10) for n in per_course.values())
    assert all(params(e)["page_size"] == "10" for e in enrollment_pages)
    # one progress request per learner
    assert len(requests_to(sandbox, "skilljar", "/users/")) == len({e for e, _ in progress})


def test_second_run_asks_only_learners_with_an_open_course(sandbox, home, tiny_world):
    run_source(skilljar, home)
    progress = pairs(tiny_world)
    open_row = next(e for e in world_rows(tiny_world, "enrollments")
                    if not progress[(e["email"].strip().lower(), e["course_id"])])
    sandbox.lms.complete(sandbox.lms.enrollment_id(open_row["enrollment_id"]))
    sandbox.request_log.clear()

    run_source(skilljar, home)

    open_learners = {email for (email, _), done in progress.items() if not done}
    asked = {e["path"].split("/")[3] for e in requests_to(sandbox, "skilljar", "/users/")}
    assert asked == {sandbox.lms.user_id(email) for email in open_learners}
    assert len(asked) < len({email for email, _ in progress})
    assert count(home, "raw_skilljar.course_progress") == len(progress)
    completed = query(home, "select count(completed_at) from raw_skilljar.course_progress where user_id = ?",
                      [sandbox.lms.user_id(open_row["email"])])[0][0]
    assert completed == sum(done for (email, _), done in progress.items()
                            if email == open_row["email"].strip().lower()) + 1

    sandbox.request_log.clear()
    run_source(skilljar, home)  # the new completion is remembered: that learner may drop out
    asked_again = {e["path"].split("/")[3] for e in requests_to(sandbox, "skilljar", "/users/")}
    assert asked_again <= asked


def test_faults_lose_nothing_and_bad_records_are_quarantined(sandbox, home, tiny_world):
    throttled = sandbox.faults.add("skilljar", "/users/", "rate_limit", first=2, retry_after=0.2)
    failing = sandbox.faults.add("skilljar", "/published-courses$", "server_error", status=503, first=1)
    sandbox.faults.add("skilljar", "/enrollments$", "malformed", calls=(1,), field="user.email", index=0, insert=True)

    run_source(skilljar, home)

    assert throttled.fired == 2 and failing.fired == 1
    statuses = [e["status"] for e in requests_to(sandbox, "skilljar", "/users/")]
    assert statuses[:2] == [429, 429] and 429 not in statuses[2:]
    assert count(home, "raw_skilljar.published_courses") == len(world_rows(tiny_world, "courses"))
    assert count(home, "raw_skilljar.enrollments") == len(world_rows(tiny_world, "enrollments"))
    assert count(home, "raw_skilljar.course_progress") == len(pairs(tiny_world))
    assert [(r[0], r[2]) for r in rejects(home, "raw_skilljar")] == [("enrollments", "user.email: missing")]


def test_a_wrong_api_key_fails_at_once_without_showing_it(sandbox, home, monkeypatch):
    monkeypatch.setenv("SKILLJAR_API_KEY", "sk-live-wrong")

    with pytest.raises(Exception) as failure:
        run_source(skilljar, home)

    assert "401" in str(failure.value) and "sk-live-wrong" not in str(failure.value)
    statuses = [e["status"] for e in sandbox.request_log.entries("skilljar")]
    # no retry of a refused key: one request per list that had started (courses, published courses)
    assert set(statuses) == {401} and len(statuses) <= 2


def test_a_next_link_to_another_host_is_not_followed(sandbox, home, monkeypatch):
    """The key goes with every request: a next link off the API's origin stops the load."""
    serve_page = sandbox.lms._page

    def elsewhere(request, rows):
        response = serve_page(request, rows)
        body = json.loads(response.get_data())
        if body["next"]:
            body["next"] = "https://collector.example.net/v1/courses?page=2"
            response.set_data(json.dumps(body))
        return response

    monkeypatch.setattr(sandbox.lms, "_page", elsewhere)

    with pytest.raises(Exception, match="collector.example.net, not the API"):
        run_source(skilljar, home, page_size=2)

    # the first page only: page 2 was never asked for, of the API or of anyone else
    assert [params(e) for e in requests_to(sandbox, "skilljar", "/v1/courses")] == [{"page_size": "2"}]
