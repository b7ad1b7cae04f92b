"""LMS source against its double: exact counts, updated_since + page paging, faults."""

from __future__ import annotations

from pipelines.training import training
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)


def test_first_load_lands_courses_and_enrollments_exactly(sandbox, home, tiny_world):
    run_source(training, home, per_page=25)

    courses, enrollments = world_rows(tiny_world, "courses"), world_rows(tiny_world, "enrollments")
    assert count(home, "raw_training.courses") == len(courses)
    assert count(home, "raw_training.enrollments") == distinct_ids(home, "raw_training.enrollments") == len(enrollments)
    completed = sum(1 for e in enrollments if e["completed_at"])
    assert query(home, "select count(completed_at) from raw_training.enrollments")[0][0] == completed
    kinds = dict(query(home, "select id, kind from raw_training.courses"))
    assert kinds == {c["course_id"]: c["kind"] for c in courses}
    pages = [params(e)["page"] for e in requests_to(sandbox, "lms", "/enrollments")]
    assert pages == [str(n) for n in range(1, -(-len(enrollments) // 25) + 1)]


def test_second_run_asks_only_for_what_changed(sandbox, home, tiny_world):
    run_source(training, home)
    newest = query(home, "select strftime(max(updated_at), '%Y-%m-%dT%H:%M:%SZ') from raw_training.enrollments")[0][0]
    open_one = next(e for e in world_rows(tiny_world, "enrollments") if not e["completed_at"])["enrollment_id"]
    sandbox.lms.complete(open_one)
    sandbox.request_log.clear()

    run_source(training, home)

    sent = [params(e) for e in requests_to(sandbox, "lms", "/enrollments")]
    assert len(sent) == 1 and sent[0]["updated_since"] == newest
    assert count(home, "raw_training.enrollments") == len(world_rows(tiny_world, "enrollments"))
    assert query(home, "select completed_at is not null from raw_training.enrollments where id = ?",
                 [open_one]) == [(True,)]


def test_faults_lose_nothing_and_bad_records_are_quarantined(sandbox, home, tiny_world):
    sandbox.faults.add("lms", "/enrollments", "rate_limit", first=3, retry_after=0.2)
    sandbox.faults.add("lms", "/courses", "server_error", status=503, first=1)
    sandbox.faults.add("lms", "/courses", "malformed", first=2, field="kind", value="lecture", index=0, insert=True)

    run_source(training, home)

    assert count(home, "raw_training.courses") == len(world_rows(tiny_world, "courses"))
    assert count(home, "raw_training.enrollments") == len(world_rows(tiny_world, "enrollments"))
    assert [(r[0], r[2]) for r in rejects(home, "raw_training")] == [
        ("courses", 'kind: expected one of onboarding, webinar, certification, got "lecture"')]
