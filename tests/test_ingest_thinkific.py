"""Thinkific source (Admin API) against its double: exact counts, page / limit paging, the
query[updated_after] cursor, faults (429 with RateLimit-Reset, 5xx, 401, malformed records)."""

from __future__ import annotations

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

from pipelines.thinkific import thinkific
from sandbox.doubles.server import Sandbox

UPDATED_AFTER = "query[updated_after]"


@pytest.fixture
def sandbox(tiny_world, tmp_path, monkeypatch):
    with Sandbox(tiny_world, tmp_path / "sandbox", lms_vendor="thinkific") as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
        yield running


def test_first_load_lands_courses_and_enrollments_exactly(sandbox, home, tiny_world):
    run_source(thinkific, home, limit=20)

    courses, enrollments = world_rows(tiny_world, "courses"), world_rows(tiny_world, "enrollments")
    assert count(home, "raw_thinkific.courses") == len(courses)
    assert count(home, "raw_thinkific.enrollments") == len(enrollments)
    assert query(home, "select count(completed_at), count(started_at), count(*) filter (where completed) "
                       "from raw_thinkific.enrollments")[0] == (
        sum(1 for e in enrollments if e["completed_at"]), sum(1 for e in enrollments if e["attended_at"]),
        sum(1 for e in enrollments if e["completed_at"]))
    assert sorted(r[0] for r in query(home, "select keywords from raw_thinkific.courses")) == sorted(
        c["kind"] for c in courses)
    assert {r[0] for r in query(home, "select user_email from raw_thinkific.enrollments")} == {
        e["email"].strip() for e in enrollments}
    sent = [params(e) for e in requests_to(sandbox, "thinkific", "/enrollments")]
    assert [s["page"] for s in sent] == [str(n) for n in range(1, -(-len(enrollments) // 20) + 1)]
    assert {s[UPDATED_AFTER] for s in sent} == {"1970-01-01T00:00:00Z"} and {s["limit"] for s in sent} == {"20"}


def test_second_run_sends_the_cursor_and_gets_only_the_change(sandbox, home, tiny_world):
    run_source(thinkific, home)
    newest = query(home, "select strftime(max(updated_at), '%Y-%m-%dT%H:%M:%SZ') from raw_thinkific.enrollments")[0][0]
    open_one = next(e for e in world_rows(tiny_world, "enrollments") if not e["completed_at"])
    enrollment_id = int(open_one["enrollment_id"].rsplit("-", 1)[-1])
    sandbox.lms.complete(enrollment_id)
    sandbox.request_log.clear()

    written = run_source(thinkific, home)

    sent = [params(e) for e in requests_to(sandbox, "thinkific", "/enrollments")]
    assert len(sent) == 1 and sent[0][UPDATED_AFTER] == newest
    assert written.get("enrollments") == 1
    assert count(home, "raw_thinkific.enrollments") == len(world_rows(tiny_world, "enrollments"))
    assert query(home, "select completed, completed_at is not null from raw_thinkific.enrollments where id = ?",
                 [enrollment_id]) == [(True, True)]


def test_faults_lose_nothing_and_bad_records_are_quarantined(sandbox, home, tiny_world):
    throttled = sandbox.faults.add("thinkific", "/enrollments", "rate_limit", first=2, retry_after=1)
    failing = sandbox.faults.add("thinkific", "/courses", "server_error", status=502, first=1)
    sandbox.faults.add("thinkific", "/enrollments", "malformed", calls=(3,), field="updated_at", value="soon",
                       index=0, insert=True, list_key="items")

    run_source(thinkific, home)

    assert throttled.fired == 2 and failing.fired == 1
    assert [e["status"] for e in requests_to(sandbox, "thinkific", "/enrollments")] == [429, 429, 200]
    assert count(home, "raw_thinkific.courses") == len(world_rows(tiny_world, "courses"))
    assert count(home, "raw_thinkific.enrollments") == len(world_rows(tiny_world, "enrollments"))
    assert [(r[0], r[2]) for r in rejects(home, "raw_thinkific")] == [
        ("enrollments", 'updated_at: expected an ISO-8601 timestamp, got str "soon"')]


def test_a_wrong_api_key_fails_at_once_without_showing_it(sandbox, home, monkeypatch):
    monkeypatch.setenv("THINKIFIC_API_KEY", "wrong-key-123")

    with pytest.raises(Exception) as failure:
        run_source(thinkific, home)

    assert "401" in str(failure.value) and "wrong-key-123" not in str(failure.value)
    statuses = [e["status"] for e in sandbox.request_log.entries("thinkific")]
    assert set(statuses) == {401} and len(statuses) <= 2


def test_an_oauth_access_token_replaces_the_api_key(sandbox, home, tiny_world, monkeypatch):
    sandbox.lms.access_token = "oauth-access-token"
    monkeypatch.delenv("THINKIFIC_API_KEY")
    monkeypatch.delenv("THINKIFIC_SUBDOMAIN")
    monkeypatch.setenv("THINKIFIC_ACCESS_TOKEN", "oauth-access-token")

    run_source(thinkific, home)

    assert count(home, "raw_thinkific.enrollments") == len(world_rows(tiny_world, "enrollments"))
    assert {e["status"] for e in sandbox.request_log.entries("thinkific")} == {200}
