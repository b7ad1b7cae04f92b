"""Typeform source against its double: exact counts per form, `before` token paging, the
per-form `since` cursor on a second run, faults, auth, and where the NPS answer is found."""

from __future__ import annotations

from collections import Counter

import pytest

from pipelines.credentials import SourceNotConfigured, typeform_settings
from pipelines.typeform import typeform
from sandbox.doubles.typeform import form_id_for
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)

SURVEYS = ("nps_30d", "nps_90d", "relationship")


@pytest.fixture
def connected(sandbox, monkeypatch):
    for key, value in sandbox.survey_env("typeform").items():
        monkeypatch.setenv(key, value)
    return sandbox


def _per_survey(tiny_world) -> Counter:
    survey_of = {r["invitation_id"]: r["survey"] for r in world_rows(tiny_world, "survey_invitations")}
    return Counter(survey_of[r["invitation_id"]] for r in world_rows(tiny_world, "survey_responses"))


def test_first_load_lands_every_form_s_responses_exactly(connected, home, tiny_world):
    loaded = run_source(typeform, home)

    answers = world_rows(tiny_world, "survey_responses")
    assert loaded == {"responses": len(answers)} == {"responses": 102}
    assert distinct_ids(home, "raw_typeform.responses") == 102
    by_form = dict(query(home, "select form_id, count(*) from raw_typeform.responses group by 1"))
    assert by_form == {form_id_for(s): n for s, n in _per_survey(tiny_world).items()}
    assert query(home, "select sum(score), count(comment), count(email) from raw_typeform.responses")[0] == (
        sum(int(r["score"]) for r in answers), sum(1 for r in answers if r["comment"]), 102)
    assert Counter(e for (e,) in query(home, "select email from raw_typeform.responses")) == Counter(
        r["email"] for r in answers)
    sent = [(e["path"], params(e)) for e in requests_to(connected, "typeform", "/responses")]
    # one request per form (fewer than 1000 responses each), and no `since` before a cursor exists
    assert sent == [(f"/forms/{form_id_for(s)}/responses", {"page_size": "1000"}) for s in SURVEYS]


def test_before_token_paging_and_second_run_send_each_form_s_cursor(connected, home, tiny_world):
    run_source(typeform, home, page_size=25)
    per_survey = _per_survey(tiny_world)
    for survey in SURVEYS:
        pages = [params(e) for e in requests_to(connected, "typeform", f"/forms/{form_id_for(survey)}/")]
        assert len(pages) == per_survey[survey] // 25 + 1
        served = [r["token"] for r in connected.typeform.records(survey)]  # newest first
        assert [p.get("before") for p in pages] == [None] + [served[25 * k - 1] for k in range(1, len(pages))]

    newest = {s: connected.typeform.records(s)[0]["submitted_at"].removesuffix("Z") for s in SURVEYS}
    at_cursor = sum(1 for s in SURVEYS for r in connected.typeform.records(s)
                    if r["submitted_at"].removesuffix("Z") == newest[s])
    added = connected.typeform.add_response("relationship", "new.person@example.com", 4, "Missing SSO")
    connected.request_log.clear()

    loaded = run_source(typeform, home, page_size=25)

    sent = {e["path"]: params(e) for e in requests_to(connected, "typeform", "/responses")}
    assert sent == {f"/forms/{form_id_for(s)}/responses": {"page_size": "25", "since": newest[s]} for s in SURVEYS}
    assert loaded == {"responses": at_cursor + 1}
    assert count(home, "raw_typeform.responses") == 103
    assert query(home, "select email, score, comment from raw_typeform.responses where id = ?",
                 [added["response_id"]]) == [("new.person@example.com", 4, "Missing SSO")]

    # a response newer than the listing's start less SETTLE is read again next time (Typeform may list it late)
    connected.request_log.clear()
    again = run_source(typeform, home, page_size=25)
    relationship = params(requests_to(connected, "typeform", f"/forms/{form_id_for('relationship')}/")[0])
    assert relationship["since"] < added["submitted_at"].removesuffix("Z")
    assert again["responses"] >= 1 and count(home, "raw_typeform.responses") == 103


def test_rate_limits_and_outages_lose_nothing_and_bad_answers_are_quarantined(connected, home, tiny_world):
    form = form_id_for("nps_90d")
    throttled = connected.faults.add("typeform", f"/forms/{form}/", "rate_limit", first=2, retry_after=0.2)
    down = connected.faults.add("typeform", "/responses", "server_error", status=502, calls=(1,))
    bad_score = [{"field": {"id": "x1", "type": "nps", "ref": "nps_score"}, "type": "number", "number": "nine"}]
    connected.faults.add("typeform", f"/forms/{form}/", "malformed", calls=(3,), list_key="items", field="answers",
                         value=bad_score, index=0, insert=True)
    connected.faults.add("typeform", f"/forms/{form}/", "malformed", calls=(3,), list_key="items",
                         field="submitted_at", index=2, insert=True)

    run_source(typeform, home)

    assert (throttled.fired, down.fired) == (2, 1)
    assert count(home, "raw_typeform.responses") == 102
    assert sorted((r[0], r[2]) for r in rejects(home, "raw_typeform")) == [
        ("responses", 'answers: score (nps_score): expected an integer, got str "nine"'),
        ("responses", "submitted_at: missing"),
    ]


def test_a_wrong_token_fails_the_load_on_the_first_request(connected, home, monkeypatch):
    monkeypatch.setenv("TYPEFORM_ACCESS_TOKEN", "not-the-token")

    with pytest.raises(Exception, match="401"):
        run_source(typeform, home)

    assert [e["status"] for e in requests_to(connected, "typeform", "/responses")] == [401]


def test_score_and_comment_follow_the_configured_field_refs(connected, home, monkeypatch):
    # a form whose NPS question has another ref: without TYPEFORM_SCORE_REF the first nps answer is used,
    # with a ref that no answer has, the responses land without a score
    monkeypatch.setenv("TYPEFORM_SCORE_REF", "recommend")
    monkeypatch.setenv("TYPEFORM_COMMENT_REF", "nps_reason")

    run_source(typeform, home)

    assert query(home, "select count(*), count(score), count(comment) from raw_typeform.responses")[0] == (102, 0, 49)


def test_missing_settings_skip_typeform_with_one_line(monkeypatch):
    monkeypatch.delenv("TYPEFORM_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("TYPEFORM_FORM_IDS", "abc123")
    with pytest.raises(SourceNotConfigured, match="^typeform: TYPEFORM_ACCESS_TOKEN is not set, skipping Typeform$"):
        typeform_settings()
    monkeypatch.setenv("TYPEFORM_ACCESS_TOKEN", "t")
    monkeypatch.setenv("TYPEFORM_FORM_IDS", " , ")
    with pytest.raises(SourceNotConfigured, match="names no form"):
        typeform_settings()
    monkeypatch.setenv("TYPEFORM_FORM_IDS", "abc123, def456,abc123")
    assert typeform_settings().form_ids == ("abc123", "def456")
