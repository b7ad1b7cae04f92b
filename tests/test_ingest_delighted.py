"""Delighted source against its double: exact counts, keyset paging on updated_at, the
`updated_since` cursor on a second run, Link-header paging of people, faults and auth."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from pipelines.delighted import delighted
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)


@pytest.fixture
def connected(sandbox, monkeypatch):
    for key, value in sandbox.survey_env("delighted").items():
        monkeypatch.setenv(key, value)
    return sandbox


def _unix(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def test_first_load_lands_every_response_and_person_exactly(connected, home, tiny_world):
    loaded = run_source(delighted, home)

    answers, invitations = world_rows(tiny_world, "survey_responses"), world_rows(tiny_world, "survey_invitations")
    people = {row["email"] for row in invitations} | {row["email"] for row in answers}
    stamps = sorted(_unix(r["responded_at"]) for r in answers)
    # page 2 starts again at page 1's newest second (inclusive): that response comes twice, merged once
    assert loaded == {"survey_responses": 100 + sum(s >= stamps[99] for s in stamps), "people": len(people)}
    assert count(home, "raw_delighted.survey_responses") == distinct_ids(home, "raw_delighted.survey_responses") == 102
    assert query(home, "select sum(score), count(comment) from raw_delighted.survey_responses")[0] == (
        sum(int(r["score"]) for r in answers), sum(1 for r in answers if r["comment"]))
    by_email = Counter(email for (email,) in query(home, "select email from raw_delighted.survey_responses"))
    assert by_email == Counter(r["email"] for r in answers)
    assert {e for (e,) in query(home, "select email from raw_delighted.people")} == people
    # a survey planned ahead of now is no bad record (only change stamps may not lie in the future)
    planned = query(home, "select count(*) from raw_delighted.people where next_survey_scheduled_at > now()")[0][0]
    assert planned == sum(1 for p in connected.delighted.people.values()
                          if (p["next_survey_scheduled_at"] or 0) > datetime.now().timestamp()) > 0
    first = params(requests_to(connected, "delighted", "/v1/survey_responses.json")[0])
    assert first == {"per_page": "100", "order": "asc:updated_at", "expand[]": "person", "updated_since": "0",
                     "page": "1"}


def test_keyset_paging_and_second_run_ask_only_for_what_changed(connected, home, tiny_world):
    run_source(delighted, home, page_size=25)
    pages = [params(e) for e in requests_to(connected, "delighted", "/v1/survey_responses.json")]
    # every next page starts at the previous page's newest updated_at, page 1
    stamps = sorted(_unix(r["responded_at"]) for r in world_rows(tiny_world, "survey_responses"))
    expected_since = [0] + [stamps[24]]
    while len(expected_since) < len(pages):
        # the page starting at `since` holds every response from that second on; the next starts at its 25th
        start = next(i for i, s in enumerate(stamps) if s >= expected_since[-1])
        expected_since.append(stamps[start + 24])
    assert [int(p["updated_since"]) for p in pages] == expected_since
    assert {p["page"] for p in pages} == {"1"}
    people_pages = requests_to(connected, "delighted", "/v1/people.json")
    assert len(people_pages) == 88 // 25 + 1 and all(params(p).get("page_info") for p in people_pages[1:])

    newest = stamps[-1]
    at_cursor = sum(1 for s in stamps if s >= newest)
    added = connected.delighted.add_response("anna.green@tidallinerobotics.com", 2, "Support is slow")
    edited = connected.delighted.update_response("1", score=10, comment="Much better now")
    connected.request_log.clear()

    loaded = run_source(delighted, home, page_size=25)

    sent = [params(e) for e in requests_to(connected, "delighted", "/v1/survey_responses.json")]
    assert [int(p["updated_since"]) for p in sent] == [newest]  # the cursor: the newest change of run one
    assert loaded["survey_responses"] == at_cursor + 2
    assert count(home, "raw_delighted.survey_responses") == 103
    assert query(home, "select score, comment from raw_delighted.survey_responses where id = ?", [added["id"]]) == [
        (2, "Support is slow")]
    assert query(home, "select score, comment from raw_delighted.survey_responses where id = ?", [edited["id"]]) == [
        (10, "Much better now")]


def test_rate_limits_and_outages_lose_nothing_and_bad_records_are_quarantined(connected, home, tiny_world):
    throttled = connected.faults.add("delighted", "/v1/survey_responses", "rate_limit", calls=(1, 2), retry_after=0.2)
    down = connected.faults.add("delighted", "/v1/people", "server_error", status=503, first=2)
    connected.faults.add("delighted", "/v1/survey_responses", "malformed", calls=(4,), field="score", value=11,
                         index=0, insert=True)
    connected.faults.add("delighted", "/v1/survey_responses", "malformed", calls=(5,), field="created_at",
                         value="yesterday", index=3, insert=True)

    run_source(delighted, home, page_size=25)

    assert (throttled.fired, down.fired) == (2, 2)
    statuses = [e["status"] for e in requests_to(connected, "delighted", "/v1/survey_responses.json")]
    assert statuses[:3] == [429, 429, 200]
    assert count(home, "raw_delighted.survey_responses") == len(world_rows(tiny_world, "survey_responses"))
    assert count(home, "raw_delighted.people") == 88
    assert sorted((r[0], r[2]) for r in rejects(home, "raw_delighted")) == [
        ("survey_responses", 'created_at: expected Unix seconds, got str "yesterday"'),
        ("survey_responses", "score: expected an integer from 0 to 10, got 11"),
    ]


def test_a_wrong_api_key_fails_the_load_on_the_first_request(connected, home, monkeypatch):
    monkeypatch.setenv("DELIGHTED_API_KEY", "not-the-key")

    with pytest.raises(Exception, match="401"):
        run_source(delighted, home)

    answered = requests_to(connected, "delighted", "/v1/survey_responses.json")
    assert [e["status"] for e in answered] == [401]  # not retried
