"""Freshdesk source against the Freshdesk double: exact counts, updated_since, page cap, faults."""

from __future__ import annotations

import pytest

from pipelines.freshdesk import freshdesk
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)


@pytest.fixture
def world_freshdesk(tiny_world):
    tickets = [t for t in world_rows(tiny_world, "tickets") if t["system"] == "freshdesk"]
    return {"tickets": len(tickets), "ratings": sum(1 for t in tickets if t["csat"] in ("good", "bad"))}


def _tickets_exactly_once(home) -> int:
    rows = count(home, "raw_freshdesk.tickets")
    assert rows == distinct_ids(home, "raw_freshdesk.tickets")
    return rows


def test_first_load_lands_the_helpdesk_exactly(sandbox, home, world_freshdesk):
    run_source(freshdesk, home)

    assert _tickets_exactly_once(home) == world_freshdesk["tickets"]
    assert count(home, "raw_freshdesk.satisfaction_ratings") == world_freshdesk["ratings"]
    columns = {r[0] for r in query(home, "describe raw_freshdesk.tickets")}
    assert {"id", "requester_id", "requester__email", "subject", "priority", "status", "created_at", "updated_at",
            "fr_due_by", "due_by", "stats__first_responded_at", "stats__resolved_at"} <= columns
    assert query(home, "select count(*) from raw_freshdesk.tickets where requester__email is null")[0][0] == 0
    scores = {r[0] for r in query(home, "select ratings__default_question from raw_freshdesk.satisfaction_ratings")}
    assert scores <= {103, -103}

    sent = params(requests_to(sandbox, "freshdesk", "/api/v2/tickets")[0])
    assert sent == {"include": "stats,requester", "order_by": "updated_at", "order_type": "asc", "per_page": "100",
                    "updated_since": "1970-01-01T00:00:00Z", "page": "1"}
    assert query(home, "select count(*) from raw_freshdesk.tickets where is_deleted")[0][0] == 0
    ratings = requests_to(sandbox, "freshdesk", "satisfaction_ratings")
    assert params(ratings[0])["created_since"] == "1970-01-01T00:00:00Z"


def test_second_run_asks_only_for_what_changed(sandbox, home, world_freshdesk):
    run_source(freshdesk, home)
    newest = query(home, "select strftime(max(updated_at), '%Y-%m-%dT%H:%M:%SZ') from raw_freshdesk.tickets")[0][0]
    ticket = sandbox.freshdesk.touch(sorted(sandbox.freshdesk.tickets)[0], status="closed", priority="urgent")
    sandbox.request_log.clear()

    loaded = run_source(freshdesk, home)

    tickets = [e for e in requests_to(sandbox, "freshdesk", "/api/v2/tickets") if "filter" not in params(e)]
    assert len(tickets) == 1 and params(tickets[0])["updated_since"] == newest
    at_cursor = query(home, "select count(*) from raw_freshdesk.tickets where updated_at >= ?::timestamptz "
                            "and id <> ?", [newest, ticket["id"]])[0][0]
    assert loaded["tickets"] == 1 + at_cursor  # the changed ticket, and the one(s) at the cursor again
    assert _tickets_exactly_once(home) == world_freshdesk["tickets"]
    assert query(home, "select status, priority from raw_freshdesk.tickets where id = ?", [ticket["id"]]) == [(5, 4)]


def test_a_listing_cut_by_the_page_cap_continues_in_a_new_window(sandbox, home, world_freshdesk):
    sandbox.freshdesk.max_pages = 2  # as Freshdesk caps deep paging; 5 per page -> windows of 10

    run_source(freshdesk, home, per_page=5)

    windows = [params(e)["updated_since"] for e in requests_to(sandbox, "freshdesk", "/api/v2/tickets")
               if params(e).get("page", "1") == "1" and "filter" not in params(e)]
    assert len(windows) >= 2 and windows == sorted(windows) and len(set(windows)) == len(windows)
    assert _tickets_exactly_once(home) == world_freshdesk["tickets"]


def test_rate_limit_storm_and_server_errors_lose_nothing(sandbox, home, world_freshdesk):
    storm = sandbox.faults.add("freshdesk", "/api/v2/tickets", "rate_limit", first=3, retry_after=0.2)
    broken = sandbox.faults.add("freshdesk", "satisfaction_ratings", "server_error", status=502, first=2)

    run_source(freshdesk, home)

    assert storm.fired == 3 and broken.fired == 2
    assert [e["status"] for e in requests_to(sandbox, "freshdesk", "/api/v2/tickets")][:4] == [429, 429, 429, 200]
    assert count(home, "raw_freshdesk.tickets") == world_freshdesk["tickets"]
    assert count(home, "raw_freshdesk.satisfaction_ratings") == world_freshdesk["ratings"]


def test_malformed_records_are_quarantined_with_their_reason(sandbox, home, world_freshdesk):
    sandbox.faults.add("freshdesk", "/api/v2/tickets", "malformed", first=1, field="priority", value="high",
                       index=2, insert=True)
    sandbox.faults.add("freshdesk", "/api/v2/tickets", "malformed", first=1, field="id", index=4, insert=True)

    run_source(freshdesk, home)

    reasons = sorted(reason for resource, _, reason in rejects(home, "raw_freshdesk") if resource == "tickets")
    assert reasons == ["id: missing", 'priority: expected an integer, got str "high"']
    assert _tickets_exactly_once(home) == world_freshdesk["tickets"]
