"""The Zendesk and Freshdesk doubles, driven with requests and dlt's RESTClient against a
running Sandbox on the tiny world of test_doubles with hand-made tickets."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator, JSONResponseCursorPaginator

from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.helpdesk_world import business_minutes, vendor_ids
from sandbox.doubles.server import Sandbox
from test_doubles import write_tiny_world

TICKETS = [
    # Zendesk: 100001 solved over a weekend, 100004 from a requester the CRMs do not know
    ["100001", "zendesk", "wile@acme.example", "Login broken", "high", "solved",
     "2025-11-01T10:00:00Z", "2025-11-01T11:00:00Z", "2025-11-02T10:00:00Z", "good"],
    ["100002", "zendesk", "hank@globex.example", "Export fails", "urgent", "pending",
     "2026-02-27T09:00:00Z", "2026-02-27T09:30:00Z", "", ""],
    ["100003", "zendesk", "wile@acme.example", "Billing question", "low", "open",
     "2026-03-03T16:00:00Z", "", "", ""],
    ["100004", "zendesk", "stranger@free-mail.example", "Cannot invite users", "normal", "solved",
     "2026-01-07T08:00:00Z", "2026-01-07T12:00:00Z", "2026-01-09T08:00:00Z", "bad"],
    # Freshdesk
    ["5000001", "freshdesk", "alice@umbrella.example", "Slow dashboard", "normal", "solved",
     "2026-02-20T10:00:00Z", "2026-02-20T12:00:00Z", "2026-02-21T10:00:00Z", "good"],
    ["5000002", "freshdesk", "gavin@hooli.example", "Cancel subscription", "urgent", "solved",
     "2025-08-01T10:00:00Z", "2025-08-01T10:30:00Z", "2025-08-01T12:00:00Z", "bad"],
    ["5000003", "freshdesk", "albert@umbrella.example", "API limits", "high", "pending",
     "2026-03-01T09:00:00Z", "2026-03-01T15:00:00Z", "", ""],
    ["5000004", "freshdesk", "alice@umbrella.example", "SSO setup", "low", "open",
     "2026-03-04T08:00:00Z", "", "", ""],
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_tiny_world(tmp_path_factory.mktemp("helpdesk-world"), tickets=TICKETS)


@pytest.fixture
def sandbox(world, tmp_path):
    with Sandbox(world, tmp_path / "state", faults=FaultPlan(seed=3)) as sb:
        yield sb


def zendesk(sandbox, path, **params):
    env = sandbox.env
    return requests.get(env["ZENDESK_BASE_URL"] + path, params=params, timeout=10,
                        auth=(env["ZENDESK_EMAIL"] + "/token", env["ZENDESK_API_TOKEN"]))


def freshdesk(sandbox, path, **params):
    env = sandbox.env
    return requests.get(env["FRESHDESK_BASE_URL"] + path, params=params, timeout=10,
                        auth=(env["FRESHDESK_API_KEY"], "X"))


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Zendesk ----------------------------------------------------------------------------

def test_zendesk_export_pages_with_cursors_and_side_loads_users(sandbox):
    first = zendesk(sandbox, "/api/v2/incremental/tickets/cursor.json", start_time=0, per_page=2, include="users")
    assert first.status_code == 200
    body = first.json()
    assert [t["id"] for t in body["tickets"]] == [100001, 100004]  # by updated_at
    assert body["end_of_stream"] is False
    assert body["after_url"].endswith(f"/api/v2/incremental/tickets/cursor.json?cursor={body['after_cursor']}")
    assert sorted(u["email"] for u in body["users"]) == ["stranger@free-mail.example", "wile@acme.example"]
    users = {u["id"]: u for u in body["users"]}
    assert users[body["tickets"][0]["requester_id"]]["name"] == "Wile"

    second = zendesk(sandbox, "/api/v2/incremental/tickets/cursor.json", cursor=body["after_cursor"],
                     per_page=2, include="users").json()
    assert [t["id"] for t in second["tickets"]] == [100002, 100003]
    assert second["end_of_stream"] is True
    assert [u["email"] for u in second["users"]] == ["hank@globex.example", "wile@acme.example"]

    # the last cursor is where the next export resumes: nothing new yet
    idle = zendesk(sandbox, "/api/v2/incremental/tickets/cursor.json", cursor=second["after_cursor"]).json()
    assert (idle["tickets"], idle["end_of_stream"], idle["after_cursor"]) == ([], True, second["after_cursor"])


def test_zendesk_ticket_shapes(sandbox):
    tickets = {t["id"]: t for t in zendesk(sandbox, "/api/v2/incremental/tickets/cursor", start_time=0).json()["tickets"]}
    solved, pending, fresh = tickets[100001], tickets[100002], tickets[100003]
    assert {k: solved[k] for k in ("subject", "priority", "status", "created_at")} == {
        "subject": "Login broken", "priority": "high", "status": "solved", "created_at": "2025-11-01T10:00:00Z"}
    assert solved["satisfaction_rating"]["score"] == "good" and isinstance(solved["satisfaction_rating"]["id"], int)
    assert pending["satisfaction_rating"] == {"score": "unoffered"}
    assert (pending["priority"], fresh["status"], fresh["updated_at"]) == ("urgent", "open", "2026-03-03T16:00:00Z")
    assert pending["updated_at"] == "2026-02-27T09:30:00Z"  # its latest event: the first reply
    # a rating arrives after the ticket was solved; that is the ticket's last change, never after as_of
    rated = stamp(solved["updated_at"])
    assert datetime(2025, 11, 2, 10, tzinfo=timezone.utc) < rated <= datetime(2025, 11, 4, 10, tzinfo=timezone.utc)
    assert solved["generated_timestamp"] == int(rated.timestamp())


def test_zendesk_start_time_and_touch_drive_incremental_exports(sandbox):
    since = int(datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp())
    body = zendesk(sandbox, "/api/v2/incremental/tickets/cursor.json", start_time=since).json()
    assert [t["id"] for t in body["tickets"]] == [100002, 100003]
    seeded_max = max(stamp(t["updated_at"]) for t in body["tickets"])

    sandbox.zendesk.touch(100003, status="solved", csat="good")
    changed = zendesk(sandbox, "/api/v2/incremental/tickets/cursor.json", cursor=body["after_cursor"]).json()
    assert [(t["id"], t["status"], t["satisfaction_rating"]["score"]) for t in changed["tickets"]] == [
        (100003, "solved", "good")]
    assert stamp(changed["tickets"][0]["updated_at"]) > seeded_max
    ratings = zendesk(sandbox, "/api/v2/satisfaction_ratings.json").json()["satisfaction_ratings"]
    assert sorted(r["ticket_id"] for r in ratings) == [100001, 100003, 100004]


def test_zendesk_ticket_metrics_page_with_cursor_pagination(sandbox):
    first = zendesk(sandbox, "/api/v2/ticket_metrics.json", **{"page[size]": 3}).json()
    assert [m["ticket_id"] for m in first["ticket_metrics"]] == [100001, 100002, 100003]
    assert first["meta"]["has_more"] is True and first["links"]["next"]
    second = requests.get(first["links"]["next"], timeout=10, auth=(
        sandbox.env["ZENDESK_EMAIL"] + "/token", sandbox.env["ZENDESK_API_TOKEN"])).json()
    assert [m["ticket_id"] for m in second["ticket_metrics"]] == [100004]
    assert (second["meta"]["has_more"], second["links"]["next"]) == (False, None)

    metrics = {m["ticket_id"]: m for m in first["ticket_metrics"] + second["ticket_metrics"]}
    weekend = metrics[100001]  # Saturday 10:00 → reply 11:00, solved Sunday 10:00: no business time
    assert weekend["reply_time_in_minutes"] == {"calendar": 60, "business": 0}
    assert weekend["full_resolution_time_in_minutes"] == {"calendar": 1440, "business": 0}
    assert weekend["solved_at"] == "2025-11-02T10:00:00Z"
    weekday = metrics[100004]  # Wednesday 08:00 → reply 12:00, solved Friday 08:00
    assert weekday["reply_time_in_minutes"] == {"calendar": 240, "business": 240}
    assert weekday["full_resolution_time_in_minutes"] == {"calendar": 2880, "business": 1200}
    assert metrics[100003]["reply_time_in_minutes"] == {"calendar": None, "business": None}
    assert metrics[100003]["solved_at"] is None

    one = zendesk(sandbox, "/api/v2/tickets/100004/metrics.json").json()["ticket_metric"]
    assert one == metrics[100004]


def test_zendesk_satisfaction_ratings_filter_and_page(sandbox):
    users = {u["email"]: u["id"] for u in zendesk(
        sandbox, "/api/v2/incremental/tickets/cursor.json", start_time=0, include="users").json()["users"]}
    first = zendesk(sandbox, "/api/v2/satisfaction_ratings", **{"page[size]": 1}).json()
    second = zendesk(sandbox, "/api/v2/satisfaction_ratings",
                     **{"page[size]": 1, "page[after]": first["meta"]["after_cursor"]}).json()
    ratings = first["satisfaction_ratings"] + second["satisfaction_ratings"]
    assert [(r["ticket_id"], r["score"], r["requester_id"]) for r in ratings] == [
        (100001, "good", users["wile@acme.example"]), (100004, "bad", users["stranger@free-mail.example"])]
    assert (first["meta"]["has_more"], second["meta"]["has_more"]) == (True, False)
    assert [r["ticket_id"] for r in zendesk(sandbox, "/api/v2/satisfaction_ratings", score="bad").json()[
        "satisfaction_ratings"]] == [100004]
    since = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
    assert [r["ticket_id"] for r in zendesk(sandbox, "/api/v2/satisfaction_ratings", start_time=since).json()[
        "satisfaction_ratings"]] == [100004]


def test_zendesk_rejects_bad_auth_and_parameters(sandbox):
    env = sandbox.env
    for auth in [(env["ZENDESK_EMAIL"] + "/token", "wrong"), (env["ZENDESK_EMAIL"], env["ZENDESK_API_TOKEN"]), None]:
        denied = requests.get(env["ZENDESK_BASE_URL"] + "/api/v2/ticket_metrics.json", auth=auth, timeout=10)
        assert (denied.status_code, denied.json()) == (401, {"error": "Couldn't authenticate you"})
    bearer = requests.get(env["ZENDESK_BASE_URL"] + "/api/v2/ticket_metrics.json", timeout=10,
                          headers={"Authorization": f"Bearer {env['ZENDESK_API_TOKEN']}"})
    assert bearer.status_code == 401
    cases = [("/api/v2/ticket_metrics.json", {"page[size]": 101}, "InvalidPaginationParameter"),
             ("/api/v2/incremental/tickets/cursor.json", {}, "InvalidValue"),
             ("/api/v2/incremental/tickets/cursor.json", {"cursor": "not-ours"}, "InvalidPaginationParameter"),
             ("/api/v2/incremental/tickets/cursor.json", {"start_time": 0, "per_page": 1001}, "InvalidValue"),
             ("/api/v2/incremental/tickets/cursor.json", {"start_time": int(datetime.now().timestamp())},
              "InvalidValue")]
    for path, params, error in cases:
        reply = zendesk(sandbox, path, **params)
        assert (reply.status_code, reply.json()["error"]) == (400, error), (path, params)


def test_zendesk_rate_limit_burst_then_success_through_dlt(sandbox):
    fault = sandbox.faults.add("zendesk", r"/incremental/tickets/cursor", "rate_limit", first=2, retry_after=1)
    throttled = zendesk(sandbox, "/api/v2/incremental/tickets/cursor.json", start_time=0)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1")
    assert throttled.json()["error"] == "APIRateLimitExceeded"
    env = sandbox.env
    client = RESTClient(base_url=env["ZENDESK_BASE_URL"],
                        auth=HttpBasicAuth(env["ZENDESK_EMAIL"] + "/token", env["ZENDESK_API_TOKEN"]),
                        paginator=JSONResponseCursorPaginator(cursor_path="after_cursor", cursor_param="cursor"),
                        data_selector="tickets")
    pages = []
    for page in client.paginate("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 2}):
        pages.append([t["id"] for t in page])
        if page.response.json()["end_of_stream"]:
            break
    assert pages == [[100001, 100004], [100002, 100003]]
    assert (fault.matched, fault.fired) == (4, 2)  # the retry waited for Retry-After, then paged on
    statuses = [e["status"] for e in sandbox.request_log.entries("zendesk")]
    assert statuses == [429, 429, 200, 200]


# --- Freshdesk --------------------------------------------------------------------------

def test_freshdesk_pages_with_link_headers(sandbox):
    params = {"updated_since": "2000-01-01T00:00:00Z", "include": "stats,requester", "order_by": "updated_at",
              "order_type": "asc", "per_page": 2}
    first = freshdesk(sandbox, "/api/v2/tickets", **params)
    assert first.status_code == 200
    assert [t["id"] for t in first.json()] == [5000002, 5000001]
    assert first.links["next"]["url"].endswith("page=2")
    second = requests.get(first.links["next"]["url"], timeout=10, auth=(sandbox.env["FRESHDESK_API_KEY"], "X"))
    assert [t["id"] for t in second.json()] == [5000003, 5000004]
    assert "Link" not in second.headers
    assert (second.headers["X-RateLimit-Total"], second.headers["X-RateLimit-Used-CurrentRequest"]) == ("700", "5")
    assert int(second.headers["X-RateLimit-Remaining"]) < int(first.headers["X-RateLimit-Remaining"])

    env = sandbox.env
    client = RESTClient(base_url=env["FRESHDESK_BASE_URL"], auth=HttpBasicAuth(env["FRESHDESK_API_KEY"], "X"),
                        paginator=HeaderLinkPaginator())
    pages = [[t["id"] for t in page] for page in client.paginate("/api/v2/tickets", params={**params, "per_page": 3})]
    assert pages == [[5000002, 5000001, 5000003], [5000004]]


def test_freshdesk_ticket_codes_stats_and_requester(sandbox):
    tickets = {t["id"]: t for t in freshdesk(sandbox, "/api/v2/tickets", updated_since="2000-01-01T00:00:00Z",
                                              include="stats,requester").json()}
    assert {i: (t["priority"], t["status"]) for i, t in tickets.items()} == {
        5000001: (2, 4), 5000002: (4, 4), 5000003: (3, 3), 5000004: (1, 2)}
    urgent = tickets[5000002]
    assert (urgent["created_at"], urgent["fr_due_by"], urgent["due_by"]) == (
        "2025-08-01T10:00:00Z", "2025-08-01T11:00:00Z", "2025-08-01T14:00:00Z")
    assert (urgent["fr_escalated"], urgent["is_escalated"]) == (False, False)
    assert urgent["stats"]["first_responded_at"] == "2025-08-01T10:30:00Z"
    assert urgent["stats"]["resolved_at"] == "2025-08-01T12:00:00Z"
    assert urgent["requester"] == {"id": urgent["requester_id"], "name": "Gavin", "email": "gavin@hooli.example",
                                   "mobile": None, "phone": None}
    pending = tickets[5000003]  # high: first response due in 4 hours, answered after 6
    assert (pending["fr_escalated"], pending["stats"]["resolved_at"], pending["stats"]["pending_since"]) == (
        True, None, "2026-03-01T15:00:00Z")
    assert tickets[5000001]["requester_id"] == tickets[5000004]["requester_id"]  # same person, same contact
    assert "stats" not in freshdesk(sandbox, "/api/v2/tickets/5000004").json()


def test_freshdesk_lists_only_the_last_30_days_by_default(sandbox):
    newest_first = freshdesk(sandbox, "/api/v2/tickets").json()
    assert [t["id"] for t in newest_first] == [5000004, 5000003, 5000001]
    since = freshdesk(sandbox, "/api/v2/tickets", updated_since="2026-03-01T12:00:00Z", order_type="asc").json()
    assert [t["id"] for t in since] == [5000003, 5000004]


def test_freshdesk_satisfaction_ratings(sandbox):
    ratings = freshdesk(sandbox, "/api/v2/surveys/satisfaction_ratings").json()
    assert [(r["ticket_id"], r["ratings"]) for r in ratings] == [
        (5000002, {"default_question": -103}), (5000001, {"default_question": 103})]
    recent = freshdesk(sandbox, "/api/v2/surveys/satisfaction_ratings", created_since="2026-01-01T00:00:00Z").json()
    assert [r["ticket_id"] for r in recent] == [5000001]
    sandbox.freshdesk.touch(5000003, status="resolved", csat="bad")
    changed = freshdesk(sandbox, "/api/v2/tickets", updated_since="2026-03-05T00:00:00Z").json()
    assert [(t["id"], t["status"]) for t in changed] == [(5000003, 4)]
    assert [r["ratings"]["default_question"] for r in freshdesk(
        sandbox, "/api/v2/surveys/satisfaction_ratings", created_since="2026-03-05T00:00:00Z").json()] == [-103]


def test_freshdesk_rejects_what_freshdesk_rejects(sandbox):
    too_big = freshdesk(sandbox, "/api/v2/tickets", per_page=101)
    assert (too_big.status_code, too_big.json()) == (400, {"description": "Validation failed", "errors": [
        {"field": "per_page", "message": "It should be a Positive Integer less than or equal to 100",
         "code": "invalid_value"}]})
    for params, field in [({"include": "stats,notes"}, "include"), ({"order_by": "priority"}, "order_by"),
                          ({"updated_since": "yesterday"}, "updated_since"), ({"page": 0}, "page")]:
        reply = freshdesk(sandbox, "/api/v2/tickets", **params)
        assert (reply.status_code, reply.json()["errors"][0]["field"]) == (400, field)
    env = sandbox.env
    denied = requests.get(env["FRESHDESK_BASE_URL"] + "/api/v2/tickets", auth=("wrong-key", "X"), timeout=10)
    assert (denied.status_code, denied.json()) == (401, {
        "code": "invalid_credentials", "message": "You have to be logged in to perform this action."})


def test_freshdesk_429_then_success_with_retry_after(sandbox):
    sandbox.faults.add("freshdesk", r"^/api/v2/tickets$", "rate_limit", first=2, retry_after=2)
    replies = [freshdesk(sandbox, "/api/v2/tickets") for _ in range(3)]
    assert [r.status_code for r in replies] == [429, 429, 200]
    assert [r.headers.get("Retry-After") for r in replies] == ["2", "2", None]
    assert replies[0].headers["X-RateLimit-Remaining"] == "0"
    assert [e.get("faults") for e in sandbox.request_log.entries("freshdesk")] == [["rate_limit"], ["rate_limit"], None]


def test_zendesk_and_freshdesk_split_a_generated_world(tiny_world, tmp_path):
    """Exact counts on the generated XS world: each desk serves its own tickets, paging to the end."""
    from sandbox.world.format import read_table

    tickets = read_table(tiny_world, "tickets")
    with Sandbox(tiny_world, tmp_path / "state") as sb:
        ids, cursor = [], None
        while True:
            params = {"cursor": cursor} if cursor else {"start_time": 0}
            body = zendesk(sb, "/api/v2/incremental/tickets/cursor.json", per_page=7, **params).json()
            ids += [t["id"] for t in body["tickets"]]
            cursor = body["after_cursor"]
            if body["end_of_stream"]:
                break
        zendesk_world = tickets[tickets["system"] == "zendesk"]
        assert sorted(ids) == sorted(vendor_ids(list(zendesk_world["ticket_id"]), "zendesk"))
        fresh = []
        for page in RESTClient(base_url=sb.env["FRESHDESK_BASE_URL"], paginator=HeaderLinkPaginator(),
                               auth=HttpBasicAuth(sb.env["FRESHDESK_API_KEY"], "X")).paginate(
                "/api/v2/tickets", params={"updated_since": "2000-01-01T00:00:00Z", "per_page": 10}):
            fresh += [t["id"] for t in page]
        assert len(fresh) == len(set(fresh)) == int((tickets["system"] == "freshdesk").sum())
        rated = tickets[(tickets["system"] == "zendesk") & tickets["csat"].isin(["good", "bad"])]
        ratings = zendesk(sb, "/api/v2/satisfaction_ratings.json", per_page=100).json()
        assert ratings["count"] == len(rated)


def test_seeded_stamps_are_stable_and_never_after_as_of(tiny_world):
    from sandbox.doubles.common import world_end
    from sandbox.doubles.freshdesk import FreshdeskDouble
    from sandbox.doubles.lms import LmsDouble
    from sandbox.doubles.surveys import SurveyDouble
    from sandbox.doubles.zendesk import ZendeskDouble

    def snapshot():
        return {"zendesk": ZendeskDouble(tiny_world, "a@b.c", "t").ticket_records(),
                "freshdesk": FreshdeskDouble(tiny_world, "k").ticket_records(),
                **{kind: SurveyDouble(tiny_world, "t").records(kind) for kind in ("invitations", "responses")},
                **{kind: LmsDouble(tiny_world, "t").records(kind) for kind in ("courses", "enrollments")}}

    first = snapshot()
    assert first == snapshot()
    end = world_end(tiny_world)
    for system, records in first.items():
        assert records, system
        assert all(stamp(r["updated_at"]) <= end for r in records), system


def test_ticket_ids_and_business_minutes():
    assert vendor_ids(["100001", "Z-7", "100001", ""], "zendesk")[0] == 100001
    mapped = vendor_ids(["100001", "Z-7", "100001", ""], "zendesk")
    assert len(set(mapped)) == 4 and mapped == vendor_ids(["100001", "Z-7", "100001", ""], "zendesk")
    friday = datetime(2026, 2, 27, 17, 0, tzinfo=timezone.utc)
    monday = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    assert business_minutes(friday, monday) == 60 + 90
