"""Survey tool source against its double: exact counts, updated_since + cursor paging, faults."""

from __future__ import annotations

from pipelines.surveys import surveys
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)


def test_first_load_lands_invitations_and_responses_exactly(sandbox, home, tiny_world):
    run_source(surveys, home)

    invitations, responses = world_rows(tiny_world, "survey_invitations"), world_rows(tiny_world, "survey_responses")
    assert count(home, "raw_surveys.invitations") == distinct_ids(home, "raw_surveys.invitations") == len(invitations)
    assert count(home, "raw_surveys.responses") == distinct_ids(home, "raw_surveys.responses") == len(responses)
    by_survey = dict(query(home, "select survey, count(*) from raw_surveys.invitations group by 1"))
    assert by_survey == {s: sum(1 for i in invitations if i["survey"] == s) for s in {i["survey"] for i in invitations}}
    assert query(home, "select sum(score) from raw_surveys.responses")[0][0] == sum(int(r["score"]) for r in responses)
    columns = {r[0] for r in query(home, "describe raw_surveys.responses")}
    assert {"id", "invitation_id", "email", "score", "comment", "responded_at", "updated_at"} <= columns
    assert params(requests_to(sandbox, "surveys", "/v1/responses")[0])["updated_since"] == "1970-01-01T00:00:00Z"


def test_cursor_paging_and_second_run_ask_only_for_what_changed(sandbox, home, tiny_world):
    run_source(surveys, home, page_size=25)
    pages = requests_to(sandbox, "surveys", "/v1/responses")
    assert len(pages) == len(world_rows(tiny_world, "survey_responses")) // 25 + 1
    assert all(params(p).get("cursor") for p in pages[1:])
    newest = query(home, "select strftime(max(updated_at), '%Y-%m-%dT%H:%M:%SZ') from raw_surveys.responses")[0][0]
    at_cursor = {r[0] for r in query(home, "select id from raw_surveys.responses where updated_at >= ?::timestamptz",
                                     [newest])}
    invitation = world_rows(tiny_world, "survey_invitations")[0]["invitation_id"]
    added = sandbox.surveys.add_response(invitation, 3, "Too slow")
    edited = sandbox.surveys.update_response(world_rows(tiny_world, "survey_responses")[0]["response_id"], score=10)
    sandbox.request_log.clear()

    loaded = run_source(surveys, home, page_size=25)

    sent = [params(e) for e in requests_to(sandbox, "surveys", "/v1/responses")]
    assert len(sent) == 1 and sent[0]["updated_since"] == newest
    # the new and the edited response, and the one(s) at the cursor again
    assert loaded["responses"] == len({added["id"], edited["id"]} | at_cursor)
    assert count(home, "raw_surveys.responses") == len(world_rows(tiny_world, "survey_responses")) + 1
    added_row = query(home, "select score, comment from raw_surveys.responses where id = ?", [added["id"]])
    assert added_row == [(3, "Too slow")]
    assert query(home, "select score from raw_surveys.responses where id = ?", [edited["id"]]) == [(10,)]


def test_faults_lose_nothing_and_bad_scores_are_quarantined(sandbox, home, tiny_world, monkeypatch):
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "1")
    hung = sandbox.faults.add("surveys", "/v1/invitations", "timeout", first=1, seconds=2)  # the client gives up
    sandbox.faults.add("surveys", "/v1/invitations", "rate_limit", calls=(2, 3), retry_after=0.2)
    sandbox.faults.add("surveys", "/v1/responses", "server_error", status=500, first=2)
    sandbox.faults.add("surveys", "/v1/responses", "malformed", calls=(3,), field="score", value=11, index=0,
                       insert=True)

    run_source(surveys, home)

    assert hung.fired == 1
    assert count(home, "raw_surveys.invitations") == len(world_rows(tiny_world, "survey_invitations"))
    assert count(home, "raw_surveys.responses") == len(world_rows(tiny_world, "survey_responses"))
    assert [(r[0], r[2]) for r in rejects(home, "raw_surveys")] == [
        ("responses", "score: expected an integer from 0 to 10, got 11")]
