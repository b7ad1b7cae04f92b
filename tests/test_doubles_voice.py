"""The survey tool, LMS and alert-webhook doubles, and the generic faults (5xx, slow,
timeout, malformed records), driven with requests and dlt's RESTClient."""

from __future__ import annotations

import time

import pytest
import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator, PageNumberPaginator

from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.server import Sandbox
from test_doubles import write_tiny_world

INVITATIONS = [
    ["I-1", "wile@acme.example", "relationship", "2025-09-15T09:00:00Z"],
    ["I-2", "road@acme.example", "relationship", "2025-09-15T09:05:00Z"],
    ["I-3", "hank@globex.example", "nps_30d", "2025-07-01T10:00:00Z"],
    ["I-4", "alice@umbrella.example", "nps_90d", "2026-01-05T10:00:00Z"],
    ["I-5", "gavin@hooli.example", "nps_30d", "2024-10-01T10:00:00Z"],
]
RESPONSES = [
    ["R-1", "I-1", "wile@acme.example", "9", "Great reporting", "2025-09-16T08:00:00Z"],
    ["R-2", "I-3", "hank@globex.example", "4", "", "2025-07-02T12:00:00Z"],
    ["R-3", "I-5", "gavin@hooli.example", "2", "Too expensive", "2024-10-03T15:00:00Z"],
]
COURSES = [["C-1", "Getting started", "onboarding"], ["C-2", "Webinar: Reports", "webinar"],
           ["C-3", "Admin certification", "certification"]]
ENROLLMENTS = [
    ["E-1", "C-1", "wile@acme.example", "2024-01-05T10:00:00Z", "2024-01-10T10:00:00Z", "2024-01-10T11:00:00Z"],
    ["E-2", "C-1", "hank@globex.example", "2025-06-03T10:00:00Z", "", ""],
    ["E-3", "C-2", "alice@umbrella.example", "2026-02-01T10:00:00Z", "2026-02-03T15:00:00Z", ""],
    ["E-4", "C-3", "wile@acme.example", "2025-03-01T10:00:00Z", "2025-03-02T10:00:00Z", "2025-04-01T10:00:00Z"],
    ["E-5", "C-2", "road@acme.example", "2026-03-04T09:00:00Z", "", ""],
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_tiny_world(tmp_path_factory.mktemp("voice-world"), survey_invitations=INVITATIONS,
                            survey_responses=RESPONSES, courses=COURSES, enrollments=ENROLLMENTS)


@pytest.fixture
def sandbox(world, tmp_path):
    with Sandbox(world, tmp_path / "state", faults=FaultPlan(seed=11)) as sb:
        yield sb


def surveys(sandbox, path, timeout=10, **params):
    return requests.get(sandbox.env["SURVEY_BASE_URL"] + path, params=params, timeout=timeout,
                        headers={"Authorization": f"Bearer {sandbox.env['SURVEY_API_TOKEN']}"})


def lms(sandbox, path, **params):
    return requests.get(sandbox.env["LMS_BASE_URL"] + path, params=params, timeout=10,
                        headers={"Authorization": f"Bearer {sandbox.env['LMS_API_TOKEN']}"})


def survey_client(sandbox) -> RESTClient:
    return RESTClient(base_url=sandbox.env["SURVEY_BASE_URL"], auth=BearerTokenAuth(sandbox.env["SURVEY_API_TOKEN"]),
                      paginator=JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor"),
                      data_selector="data")


# --- survey tool ------------------------------------------------------------------------

def test_survey_records_page_with_next_cursor(sandbox):
    pages = [[r["id"] for r in page] for page in survey_client(sandbox).paginate(
        "/v1/invitations", params={"page_size": 2})]
    assert pages == [["I-5", "I-3"], ["I-1", "I-2"], ["I-4"]]  # by updated_at = sent_at
    responses = surveys(sandbox, "/v1/responses", page_size=10).json()
    assert responses["next_cursor"] is None
    assert responses["data"] == [
        {"id": "R-3", "invitation_id": "I-5", "email": "gavin@hooli.example", "score": 2, "comment": "Too expensive",
         "responded_at": "2024-10-03T15:00:00.000Z", "updated_at": "2024-10-03T15:00:00.000Z"},
        {"id": "R-2", "invitation_id": "I-3", "email": "hank@globex.example", "score": 4, "comment": None,
         "responded_at": "2025-07-02T12:00:00.000Z", "updated_at": "2025-07-02T12:00:00.000Z"},
        {"id": "R-1", "invitation_id": "I-1", "email": "wile@acme.example", "score": 9, "comment": "Great reporting",
         "responded_at": "2025-09-16T08:00:00.000Z", "updated_at": "2025-09-16T08:00:00.000Z"}]
    assert [r["id"] for r in surveys(sandbox, "/v1/invitations", updated_since="2025-09-15T09:05:00Z").json()[
        "data"]] == ["I-2", "I-4"]


def test_survey_new_and_edited_responses_come_after_the_last_cursor(sandbox):
    seen = surveys(sandbox, "/v1/responses").json()["data"]
    high_water = max(r["updated_at"] for r in seen)
    added = sandbox.surveys.add_response("I-4", 10, "Love it")
    sandbox.surveys.update_response("R-2", score=6)
    changed = surveys(sandbox, "/v1/responses", updated_since=high_water).json()["data"]
    assert [(r["id"], r["invitation_id"], r["score"]) for r in changed] == [
        ("R-1", "I-1", 9), (added["id"], "I-4", 10), ("R-2", "I-3", 6)]
    assert all(r["updated_at"] > high_water for r in changed[1:])


def test_survey_rejects_bad_auth_and_parameters(sandbox):
    env = sandbox.env
    denied = requests.get(env["SURVEY_BASE_URL"] + "/v1/responses", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert (denied.status_code, denied.json()["error"]["code"]) == (401, "unauthorized")
    for params in ({"page_size": 1001}, {"page_size": 0}, {"cursor": "%%%"}, {"updated_since": "last week"}):
        reply = surveys(sandbox, "/v1/invitations", **params)
        assert (reply.status_code, reply.json()["error"]["code"]) == (400, "invalid_request"), params


# --- LMS --------------------------------------------------------------------------------

def test_lms_pages_with_page_numbers(sandbox):
    first = lms(sandbox, "/api/v1/enrollments", per_page=2).json()
    assert [e["id"] for e in first["data"]] == ["E-1", "E-2"]
    assert first["meta"] == {"page": 1, "per_page": 2, "total_pages": 3, "total_count": 5}
    client = RESTClient(base_url=sandbox.env["LMS_BASE_URL"], auth=BearerTokenAuth(sandbox.env["LMS_API_TOKEN"]),
                        paginator=PageNumberPaginator(base_page=1, total_path="meta.total_pages"),
                        data_selector="data")
    pages = [[e["id"] for e in page] for page in client.paginate("/api/v1/enrollments", params={"per_page": 2})]
    assert pages == [["E-1", "E-2"], ["E-3", "E-4"], ["E-5"]]
    e3 = next(e for e in lms(sandbox, "/api/v1/enrollments").json()["data"] if e["id"] == "E-3")
    assert e3 == {"id": "E-3", "course_id": "C-2", "email": "alice@umbrella.example",
                  "registered_at": "2026-02-01T10:00:00.000Z", "attended_at": "2026-02-03T15:00:00.000Z",
                  "completed_at": None, "updated_at": "2026-02-03T15:00:00.000Z"}
    courses = lms(sandbox, "/api/v1/courses").json()
    assert [(c["id"], c["kind"]) for c in courses["data"]] == [
        ("C-1", "onboarding"), ("C-2", "webinar"), ("C-3", "certification")]
    # the world has no course dates: a course is stamped shortly before its first enrollment
    assert all(c["updated_at"] < "2024-01-05T10:00:00" for c in courses["data"][:1])
    assert lms(sandbox, "/api/v1/enrollments", page=4, per_page=2).json()["data"] == []


def test_lms_updated_since_and_completion(sandbox):
    recent = lms(sandbox, "/api/v1/enrollments", updated_since="2026-02-01T00:00:00Z").json()
    assert [e["id"] for e in recent["data"]] == ["E-3", "E-5"]
    done = sandbox.lms.complete("E-2")
    assert done["attended_at"] == done["completed_at"] == done["updated_at"]
    later = lms(sandbox, "/api/v1/enrollments", updated_since="2026-03-05T00:00:00Z").json()
    assert [(e["id"], e["completed_at"] is not None) for e in later["data"]] == [("E-2", True)]


def test_lms_rejects_bad_auth_and_page_sizes(sandbox):
    assert lms(sandbox, "/api/v1/courses", per_page=101).status_code == 400
    assert lms(sandbox, "/api/v1/courses", page=0).json()["error"]["code"] == "invalid_parameter"
    denied = requests.get(sandbox.env["LMS_BASE_URL"] + "/api/v1/courses", timeout=10)
    assert (denied.status_code, denied.json()["error"]["code"]) == (401, "unauthorized")


# --- alert webhook ----------------------------------------------------------------------

def test_webhook_records_posts_like_slack(sandbox):
    url = sandbox.env["ALERT_WEBHOOK_URL"]
    ok = requests.post(url, json={"text": "Acme dropped to red", "blocks": [{"type": "section"}]}, timeout=10)
    assert (ok.status_code, ok.text) == (200, "ok")
    form = requests.post(url, data={"payload": '{"text": "from a form"}'}, timeout=10)
    assert (form.status_code, form.text) == (200, "ok")
    assert [(r.status_code, r.text) for r in [
        requests.post(url, data="{not json", headers={"Content-Type": "application/json"}, timeout=10),
        requests.post(url, json=["text"], timeout=10),
        requests.post(url, json={"username": "cs360"}, timeout=10),
        requests.post(url[:-3] + "xyz", json={"text": "guess"}, timeout=10),
        requests.post(url.rsplit("/", 3)[0] + "/T1/B1/x", json={"text": "elsewhere"}, timeout=10),
    ]] == [(400, "invalid_payload"), (400, "invalid_payload"), (400, "no_text"), (403, "invalid_token"),
           (404, "no_service")]
    assert sandbox.webhook.posts == [{"text": "Acme dropped to red", "blocks": [{"type": "section"}]},
                                     {"text": "from a form"}]
    secret = url.rsplit("/", 1)[1]
    logged = sandbox.request_log.entries("webhook")
    assert len(logged) == 7 and all(secret not in e["path"] for e in logged)
    assert secret not in (sandbox.state_dir / "requests.jsonl").read_text()


def test_webhook_rate_limit_then_ok(sandbox):
    sandbox.faults.add("webhook", "", "rate_limit", first=1)
    url = sandbox.env["ALERT_WEBHOOK_URL"]
    first = requests.post(url, json={"text": "one"}, timeout=10)
    assert (first.status_code, first.text, first.headers["Retry-After"]) == (429, "rate_limited", "1")
    assert requests.post(url, json={"text": "one"}, timeout=10).text == "ok"
    assert sandbox.webhook.posts == [{"text": "one"}]


# --- generic faults ---------------------------------------------------------------------

def test_malformed_records_appear_exactly_as_configured(sandbox):
    sandbox.faults.add("surveys", r"^/v1/responses$", "malformed", field="score", value="nine", index=1, first=1)
    sandbox.faults.add("lms", r"/enrollments", "malformed", field="updated_at", index=0, calls=(1,))
    sandbox.faults.add("surveys", r"/v1/invitations", "malformed", field="id", value=None, insert=True, first=1)
    broken = surveys(sandbox, "/v1/responses").json()["data"]
    assert [(r["id"], r["score"]) for r in broken] == [("R-3", 2), ("R-2", "nine"), ("R-1", 9)]
    assert [(r["id"], r["score"]) for r in surveys(sandbox, "/v1/responses").json()["data"]] == [
        ("R-3", 2), ("R-2", 4), ("R-1", 9)]  # only the first call was broken
    first = lms(sandbox, "/api/v1/enrollments").json()["data"][0]
    assert first["id"] == "E-1" and "updated_at" not in first
    assert "updated_at" in lms(sandbox, "/api/v1/enrollments").json()["data"][0]
    invitations = surveys(sandbox, "/v1/invitations").json()["data"]
    assert [r["id"] for r in invitations] == ["I-5", None, "I-3", "I-1", "I-2", "I-4"]
    assert invitations[1] == {**invitations[0], "id": None}


def test_server_errors_slow_answers_and_timeouts(sandbox):
    sandbox.faults.add("lms", r"/courses", "server_error", status=503, first=1)
    failed = lms(sandbox, "/api/v1/courses")
    assert (failed.status_code, failed.json()["error"]["code"]) == (503, "internal_error")
    assert lms(sandbox, "/api/v1/courses").status_code == 200

    sandbox.faults.add("surveys", r"/v1/invitations", "slow", seconds=0.4, first=1)
    started = time.monotonic()
    assert surveys(sandbox, "/v1/invitations").status_code == 200
    assert time.monotonic() - started >= 0.4

    sandbox.faults.add("surveys", r"/v1/responses", "timeout", seconds=1.5, first=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        surveys(sandbox, "/v1/responses", timeout=0.3)
    assert surveys(sandbox, "/v1/responses", timeout=5).status_code == 200


def test_every_third_call_and_seeded_probabilities_are_deterministic():
    def run(seed: int):
        plan = FaultPlan(seed=seed)
        every_third = plan.add("lms", "/courses", "server_error", every=3)
        coin = plan.add("lms", "/enrollments", "server_error", probability=0.5)
        capped = plan.add("lms", "/enrollments", "slow", seconds=0, times=2)
        courses = [[f.kind for f in plan.fire("lms", "GET", "/api/v1/courses")] for _ in range(7)]
        coins = [coin in plan.fire("lms", "GET", "/api/v1/enrollments") for _ in range(20)]
        return every_third, coin, capped, courses, coins

    every_third, coin, capped, courses, coins = run(5)
    assert courses == [[], [], ["server_error"], [], [], ["server_error"], []]
    assert (every_third.matched, every_third.fired) == (7, 2)
    assert 0 < sum(coins) < 20 and coin.fired == sum(coins) and coin.matched == 20
    assert (capped.matched, capped.fired) == (20, 2)
    assert run(5)[4] == coins  # the same seed, the same faults
    assert run(6)[4] != coins
    with pytest.raises(ValueError):
        FaultPlan().add("lms", "", "explode")
