"""Zendesk source against the Zendesk double: exact counts, incremental export, faults."""

from __future__ import annotations

import pytest

from pipelines.zendesk import zendesk
from pipelines.warehouse import warehouse_pipeline
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)

EXPORT = "/incremental/tickets/cursor"


@pytest.fixture
def world_zendesk(tiny_world):
    tickets = [t for t in world_rows(tiny_world, "tickets") if t["system"] == "zendesk"]
    return {
        "tickets": len(tickets),
        "users": len({t["requester_email"].lower() for t in tickets if t["requester_email"]}),
        "ratings": sum(1 for t in tickets if t["csat"] in ("good", "bad")),
    }


def test_first_load_lands_the_helpdesk_exactly(sandbox, home, world_zendesk):
    run_source(zendesk, home)

    assert count(home, "raw_zendesk.tickets") == distinct_ids(home, "raw_zendesk.tickets") == world_zendesk["tickets"]
    assert count(home, "raw_zendesk.users") == world_zendesk["users"]
    assert count(home, "raw_zendesk.ticket_metrics") == world_zendesk["tickets"]
    assert count(home, "raw_zendesk.satisfaction_ratings") == world_zendesk["ratings"]
    columns = {r[0] for r in query(home, "describe raw_zendesk.tickets")}
    assert {"id", "requester_id", "subject", "priority", "status", "created_at", "updated_at",
            "satisfaction_rating__score", "is_deleted", "_dlt_load_id", "_dlt_id"} <= columns
    metric_columns = {r[0] for r in query(home, "describe raw_zendesk.ticket_metrics")}
    assert {"reply_time_in_minutes__calendar", "full_resolution_time_in_minutes__calendar",
            "solved_at"} <= metric_columns
    # every ticket's requester was side-loaded with the export
    orphans = query(home, "select count(*) from raw_zendesk.tickets t left join raw_zendesk.users u "
                          "on u.id = t.requester_id where u.id is null")[0][0]
    assert orphans == 0

    exports = requests_to(sandbox, "zendesk", EXPORT)
    assert len(exports) == world_zendesk["tickets"] // 10 + 1  # pages of 10
    assert params(exports[0]) == {"include": "users", "start_time": "0"}
    assert all("cursor" in params(e) and "start_time" not in params(e) for e in exports[1:])
    assert rejects(home, "raw_zendesk") == []


def test_a_parallel_first_load_lists_the_metrics_once(sandbox, home, world_zendesk):
    """As the ingest step runs it (`source.parallelize()`): the export pages reach the metrics
    transformer in threads at once, and still one listing of every metric is made."""
    run_source(lambda: zendesk().parallelize(), home)

    pages = -(-world_zendesk["tickets"] // 100)  # page[size]=100
    assert len(requests_to(sandbox, "zendesk", "/ticket_metrics.json")) == pages > 0
    assert count(home, "raw_zendesk.ticket_metrics") == world_zendesk["tickets"]
    assert len(requests_to(sandbox, "zendesk", EXPORT)) == world_zendesk["tickets"] // 10 + 1


def test_second_run_asks_only_for_what_changed(sandbox, home, world_zendesk):
    run_source(zendesk, home)
    last_cursor = params(requests_to(sandbox, "zendesk", EXPORT)[-1]).get("cursor")
    unrated = next(t for t in sandbox.zendesk.ticket_records() if t["satisfaction_rating"].get("id") is None)
    sandbox.zendesk.touch(unrated["id"], status="solved", priority="urgent", csat="bad")
    sandbox.request_log.clear()

    loaded = run_source(zendesk, home)

    export = requests_to(sandbox, "zendesk", EXPORT)
    assert len(export) == 1
    sent = params(export[0])
    assert "start_time" not in sent and sent["cursor"] and sent["cursor"] != last_cursor or last_cursor is None
    assert loaded["tickets"] == 1 and loaded["users"] == 1
    # metrics: only the changed ticket's, no full listing
    assert [e["path"] for e in requests_to(sandbox, "zendesk", "metrics")] == [
        f"/api/v2/tickets/{unrated['id']}/metrics.json"]
    ratings = requests_to(sandbox, "zendesk", "satisfaction_ratings")
    since = int(params(ratings[0])["start_time"])
    at_cursor = query(home, "select count(*) from raw_zendesk.satisfaction_ratings "
                            "where created_at >= to_timestamp(?) and ticket_id <> ?", [since, unrated["id"]])[0][0]
    assert since > 0 and at_cursor >= 1
    assert loaded["satisfaction_ratings"] == 1 + at_cursor  # the new one, and the one(s) at the cursor again

    assert count(home, "raw_zendesk.tickets") == distinct_ids(home, "raw_zendesk.tickets") == world_zendesk["tickets"]
    assert count(home, "raw_zendesk.satisfaction_ratings") == world_zendesk["ratings"] + 1
    assert query(home, "select status, priority, satisfaction_rating__score from raw_zendesk.tickets where id = ?",
                 [unrated["id"]]) == [("solved", "urgent", "bad")]


def test_rate_limit_storm_and_server_errors_lose_nothing(sandbox, home, world_zendesk):
    storm = sandbox.faults.add("zendesk", EXPORT, "rate_limit", first=3, retry_after=0.2)
    flaky = sandbox.faults.add("zendesk", "/ticket_metrics", "server_error", status=503, first=2)
    broken = sandbox.faults.add("zendesk", "/satisfaction_ratings", "server_error", first=2)  # 500, no Retry-After

    run_source(zendesk, home)

    assert storm.fired == 3 and flaky.fired == 2 and broken.fired == 2
    statuses = [e["status"] for e in requests_to(sandbox, "zendesk", EXPORT)]
    assert statuses[:4] == [429, 429, 429, 200]
    assert count(home, "raw_zendesk.tickets") == world_zendesk["tickets"]
    assert count(home, "raw_zendesk.ticket_metrics") == world_zendesk["tickets"]
    assert count(home, "raw_zendesk.satisfaction_ratings") == world_zendesk["ratings"]


def test_malformed_records_are_quarantined_with_their_reason(sandbox, home, world_zendesk):
    # a broken copy of the first ticket of the second export page (the good one still comes)
    sandbox.faults.add("zendesk", EXPORT, "malformed", calls=(2,), field="updated_at", value=12345, insert=True)
    # a rating whose score is not one Zendesk sends
    sandbox.faults.add("zendesk", "/satisfaction_ratings", "malformed", first=1, field="score", value="meh",
                       index=1)

    run_source(zendesk, home)

    quarantined = sorted(rejects(home, "raw_zendesk"), key=lambda r: r[0], reverse=True)
    assert [(r[0], r[2]) for r in quarantined] == [
        ("tickets", "updated_at: expected an ISO-8601 timestamp, got int 12345"),
        ("satisfaction_ratings", 'score: expected one of good, bad, got "meh"'),
    ]
    assert quarantined[0][1]["updated_at"] == 12345 and quarantined[1][1]["score"] == "meh"
    assert count(home, "raw_zendesk.tickets") == world_zendesk["tickets"]  # the good copy landed
    assert count(home, "raw_zendesk.satisfaction_ratings") == world_zendesk["ratings"] - 1


def test_a_package_left_unloaded_is_resumed_by_the_next_run(sandbox, home, world_zendesk):
    run_source(zendesk, home)
    first, second = [t["id"] for t in sandbox.zendesk.ticket_records()[:2]]
    sandbox.zendesk.touch(first, subject="changed before the kill")
    pipeline = warehouse_pipeline("zendesk", home)
    pipeline.extract(zendesk())
    pipeline.normalize()  # killed before the load step: the package waits on disk
    assert pipeline.list_normalized_load_packages()
    sandbox.zendesk.touch(second, subject="changed after the kill")
    sandbox.request_log.clear()

    run_source(zendesk, home)  # dlt loads the pending package first (and only that)
    assert requests_to(sandbox, "zendesk") == []
    run_source(zendesk, home)  # the next run resumes from the cursor the package carried

    exports = requests_to(sandbox, "zendesk", EXPORT)
    assert len(exports) == 1 and params(exports[0]).get("cursor")
    subjects = dict(query(home, "select id, subject from raw_zendesk.tickets where id in (?, ?)", [first, second]))
    assert subjects == {first: "changed before the kill", second: "changed after the kill"}
    assert count(home, "raw_zendesk.tickets") == distinct_ids(home, "raw_zendesk.tickets") == world_zendesk["tickets"]
    assert count(home, "raw_zendesk.users") == world_zendesk["users"]
