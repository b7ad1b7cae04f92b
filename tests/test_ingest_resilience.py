"""Incremental REST sources under the failures a listing meets in production: records that
change between two page reads, far-future and unparseable change stamps, a paging cursor
that does not advance, clear-text base URLs, backoff jitter, deleted tickets.

Every test runs the real source (dlt's REST client) against the sandbox's doubles; the
`touch` fault changes a record right after page N was served, before page N+1 is asked for.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from cs360_core.http import RetryPolicy
from pipelines.credentials import InsecureEndpoint, freshdesk_settings, require_secure_url
from pipelines.cursors import CLOCK_MARGIN, iso_seconds, listing_started
from pipelines.freshdesk import freshdesk
from pipelines.hubspot import hubspot
from pipelines.http import PagingLoop, rest_client
from pipelines.training import training
from pipelines.validation import parse_timestamp
from pipelines.warehouse import warehouse_pipeline
from sandbox.doubles.hubspot_schema import hs_datetime
from sandbox.doubles.server import Sandbox
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)


# --- records that change while the listing runs ------------------------------------------

def test_a_freshdesk_ticket_updated_between_pages_shifts_no_ticket_out_of_the_listing(sandbox, home, tiny_world):
    desk = sandbox.freshdesk
    first = min(desk.tickets.values(), key=lambda t: (t.updated_at, t.id)).id  # served first, on page 1
    moved = sandbox.faults.add("freshdesk", r"/api/v2/tickets$", "touch", calls=(1,),
                               action=lambda: desk.touch(first, status="closed"))

    run_source(freshdesk, home, per_page=5)

    assert moved.fired == 1
    expected = sum(1 for t in world_rows(tiny_world, "tickets") if t["system"] == "freshdesk")
    assert count(home, "raw_freshdesk.tickets") == distinct_ids(home, "raw_freshdesk.tickets") == expected
    assert query(home, "select status from raw_freshdesk.tickets where id = ?", [first]) == [(5,)]
    # every page after the first is asked from the newest change read so far
    listed = [params(e) for e in requests_to(sandbox, "freshdesk", "/api/v2/tickets") if "filter" not in params(e)]
    assert [p["page"] for p in listed] == ["1"] * len(listed)
    assert [p["updated_since"] for p in listed] == sorted(p["updated_since"] for p in listed)


def test_an_lms_record_changed_behind_the_read_position_is_read_next_run(sandbox, home, tiny_world):
    lms = sandbox.lms
    ids = [r["id"] for r in lms.records("enrollments")]  # the listing's id order
    behind, ahead = ids[0], ids[-1]
    sandbox.faults.add("lms", "/enrollments", "touch", calls=(1,),
                       action=lambda: lms.touch("enrollments", behind, email="moved@example.com"))

    def change_ahead():
        time.sleep(1.1)  # a later second: cursors are sent floored to the second
        lms.touch("enrollments", ahead, email="later@example.com")

    sandbox.faults.add("lms", "/enrollments", "touch", calls=(2,), action=change_ahead)

    run_source(training, home, per_page=10)
    # the first run read `behind` before it changed, and `ahead` (changed later) after
    assert query(home, "select email from raw_training.enrollments where id = ?", [ahead]) == [("later@example.com",)]
    sandbox.faults.clear()

    run_source(training, home, per_page=10)

    assert query(home, "select email from raw_training.enrollments where id = ?", [behind]) == [("moved@example.com",)]
    assert count(home, "raw_training.enrollments") == len(world_rows(tiny_world, "enrollments"))


# --- change stamps that crash or freeze a cursor ------------------------------------------

FUTURE = "9999-12-31T23:59:59Z"
EPOCH_MS_2286 = "9999999999999"  # 2286-11-20
LONG_DIGITS = "9" * 40


def test_unparseable_and_far_future_stamps_are_quarantined_and_the_cursor_stays_sane(sandbox, home, tiny_world):
    for position, value in ((0, FUTURE), (1, EPOCH_MS_2286), (2, LONG_DIGITS)):
        sandbox.faults.add("lms", "/courses", "malformed", first=1, field="updated_at", value=value,
                           index=position, insert=True)

    run_source(training, home)

    reasons = sorted(reason for _, _, reason in rejects(home, "raw_training"))
    assert reasons == sorted([
        f'updated_at: "{FUTURE}" lies in the future (more than 1 day ahead of now)',
        f'updated_at: "{EPOCH_MS_2286}" lies in the future (more than 1 day ahead of now)',
        f'updated_at: expected an ISO-8601 timestamp, got str "{LONG_DIGITS}"',
    ])
    assert count(home, "raw_training.courses") == len(world_rows(tiny_world, "courses"))
    newest = query(home, "select max(updated_at) from raw_training.courses")[0][0]
    sandbox.request_log.clear()

    run_source(training, home)

    (sent,) = [params(e) for e in requests_to(sandbox, "lms", "/courses")]
    assert sent["updated_since"] == iso_seconds(newest)


@pytest.mark.parametrize("value", [LONG_DIGITS, "9" * 5000, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_parse_timestamp_never_raises(value):
    assert parse_timestamp(value) is None


# --- paging that does not advance ----------------------------------------------------------

@pytest.fixture
def stuck_api():
    """An API whose `next_cursor` never changes; it gives up after 50 pages."""
    calls = []

    def app(environ, start_response):
        calls.append(Request(environ).args.get("cursor"))
        body = '{"data": [{"id": 1}], "next_cursor": %s}' % ('"same"' if len(calls) < 50 else "null")
        return Response(body, content_type="application/json")(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", calls
    server.shutdown()


def test_a_cursor_that_does_not_advance_stops_with_a_clear_error(stuck_api):
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    base_url, calls = stuck_api
    client = rest_client(base_url)
    paginator = JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor")
    with pytest.raises(PagingLoop, match="paging /v1/things does not advance"):
        list(client.paginate("/v1/things", paginator=paginator, data_selector="data"))
    assert calls == [None, "same"]  # the second page handed out the same cursor again


# --- credentials in clear text ------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://acme.freshdesk.com", "http://127.0.0.1:8446", "http://127.8.9.10",
                                 "http://localhost:9000/api", "http://[::1]:8080"])
def test_https_and_loopback_urls_are_accepted(url):
    assert require_secure_url(url) == url


@pytest.mark.parametrize(("url", "message"), [
    ("http://acme.freshdesk.com/api/v2", "uses http:// for acme.freshdesk.com"),
    ("http://10.0.0.8", "uses http:// for 10.0.0.8"),
    ("ftp://files.example.com", "must be an https:// URL, got scheme 'ftp'"),
    ("acme.freshdesk.com", "must be an https:// URL, got scheme 'none'"),
])
def test_clear_text_urls_off_loopback_are_refused(url, message):
    with pytest.raises(InsecureEndpoint, match=message):
        require_secure_url(url)


def test_a_source_refuses_a_clear_text_base_url_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FRESHDESK_BASE_URL", "http://user:hunter2@acme.freshdesk.com/secret-path")
    monkeypatch.setenv("FRESHDESK_API_KEY", "key")
    with pytest.raises(InsecureEndpoint) as refused:
        freshdesk_settings()
    assert str(refused.value).startswith("FRESHDESK_BASE_URL uses http:// for acme.freshdesk.com")
    assert "hunter2" not in str(refused.value) and "secret-path" not in str(refused.value)


# --- backoff ------------------------------------------------------------------------------

def test_backoff_is_jittered_and_capped_after_the_jitter():
    policy = RetryPolicy(base_delay=1, max_delay=4)
    early = {policy.backoff(1) for _ in range(200)}
    assert len(early) > 1 and all(1 <= w <= 1.25 for w in early)  # 2**0 plus up to a quarter
    capped = [policy.backoff(attempt) for attempt in (3, 4, 10) for _ in range(200)]
    assert set(capped) == {4}  # a backoff at the cap gains nothing from the jitter


# --- deleted tickets ----------------------------------------------------------------------

def test_deleted_freshdesk_tickets_are_marked_deleted(sandbox, home, tiny_world):
    desk = sandbox.freshdesk
    before, after = sorted(desk.tickets)[:2]
    desk.delete(before)  # deleted before the first run: listed only under filter=deleted
    run_source(freshdesk, home)
    desk.delete(after)

    run_source(freshdesk, home)

    expected = sum(1 for t in world_rows(tiny_world, "tickets") if t["system"] == "freshdesk")
    assert count(home, "raw_freshdesk.tickets") == distinct_ids(home, "raw_freshdesk.tickets") == expected
    assert query(home, "select id from raw_freshdesk.tickets where is_deleted order by id") == [(before,), (after,)]
    trash = [params(e) for e in requests_to(sandbox, "freshdesk", "/api/v2/tickets") if params(e).get("filter")]
    assert {p["filter"] for p in trash} == {"deleted"} and trash[0]["updated_since"] == "1970-01-01T00:00:00Z"


# --- HubSpot search: offsets that shift, and the 10,000-result cap -------------------------

def hubspot_companies(**options):
    """The HubSpot source with its companies only: these tests watch one object type."""
    return hubspot(**options).with_resources("companies", "_rejected_records")


def _rename_every_company(hubspot_double) -> dict[str, str]:
    """Modify every company (each a millisecond after the last); returns id -> new name."""
    names = {}
    for n, company in enumerate(hubspot_double.objects("companies")):
        names[company["id"]] = f"Changed {n}"
        hubspot_double._apply("companies", company["id"], {"name": names[company["id"]]})
    return names


def _landed_names(home) -> dict[str, str]:
    return dict(query(home, "select id, name from raw_hubspot.companies"))


def _full_listings(sandbox) -> list[dict]:
    return [e for e in requests_to(sandbox, "hubspot", "/crm/v3/objects/companies")
            if e["method"] == "GET" and params(e).get("archived") == "false"]


def test_a_hubspot_record_modified_between_search_pages_shifts_none_out(sandbox, home):
    run_source(hubspot_companies, home)
    double = sandbox.hubspot
    names = _rename_every_company(double)
    first = next(iter(names))  # modified first: the first result of the search
    names[first] = "Changed again"
    sandbox.faults.add("hubspot", "/companies/search", "touch", calls=(1,),
                       action=lambda: double._apply("companies", first, {"name": "Changed again"}))

    run_source(hubspot_companies, home, search_limit=3)

    assert _landed_names(home) == names


def test_a_company_changed_behind_the_first_listing_is_searched_next_run(sandbox, home):
    double = sandbox.hubspot
    ids = [c["id"] for c in double.objects("companies")]  # the listing's id order, 5 a page
    behind, ahead = ids[0], ids[-1]
    for call, company, name in ((1, behind, "Changed behind"), (2, ahead, "Changed ahead")):
        sandbox.faults.add("hubspot", r"/crm/v3/objects/companies$", "touch", method="GET", calls=(call,),
                           action=lambda company=company, name=name: double._apply("companies", company,
                                                                                   {"name": name}))
    run_source(hubspot_companies, home)
    assert _landed_names(home)[ahead] == "Changed ahead"
    sandbox.faults.clear()

    run_source(hubspot_companies, home)

    assert _landed_names(home)[behind] == "Changed behind"


def test_hubspot_search_reads_past_the_result_cap_in_windows(sandbox, home):
    run_source(hubspot_companies, home)
    sandbox.hubspot.max_search_results = 6  # the cap scaled down with the page size (200 of 10,000)
    names = _rename_every_company(sandbox.hubspot)
    assert len(names) > 6
    sandbox.request_log.clear()

    run_source(hubspot_companies, home, search_limit=3, search_max_results=6)

    assert _landed_names(home) == names
    searches = requests_to(sandbox, "hubspot", "/companies/search")
    assert {e["status"] for e in searches} == {200} and all("after" not in e["body"] for e in searches)
    assert _full_listings(sandbox) == []


def _stamp_every_company(double, count: int, stamp: str) -> dict[str, str]:
    """Modify `count` companies in the same millisecond, as a HubSpot bulk update does."""
    names = dict(_landed_pairs(double))
    for n, company in enumerate(double.objects("companies")[:count]):
        names[company["id"]] = f"Bulk {n}"
        double.store["companies"][company["id"]]["properties"].update(name=f"Bulk {n}", hs_lastmodifieddate=stamp)
    return names


def _landed_pairs(double):
    return [(c["id"], c["properties"]["name"]) for c in double.objects("companies")]


BULK_STAMP = "2026-11-15T10:00:00.123Z"


def test_more_records_in_one_millisecond_than_search_reaches_fall_back_to_a_full_listing(sandbox, home):
    run_source(hubspot_companies, home)
    sandbox.hubspot.max_search_results = 6
    names = _stamp_every_company(sandbox.hubspot, 14, BULK_STAMP)
    sandbox.request_log.clear()

    run_source(hubspot_companies, home, search_limit=3, search_max_results=6)

    assert _landed_names(home) == names
    assert {e["status"] for e in requests_to(sandbox, "hubspot", "/search")} == {200}
    assert len(_full_listings(sandbox)) == -(-14 // 5)  # the sandbox lists 5 per page


def test_a_millisecond_within_the_cap_is_paged_by_offset_without_a_listing(sandbox, home):
    run_source(hubspot_companies, home)
    sandbox.hubspot.max_search_results = 6
    names = _stamp_every_company(sandbox.hubspot, 5, BULK_STAMP)
    sandbox.request_log.clear()

    run_source(hubspot_companies, home, search_limit=3, search_max_results=6)

    assert _landed_names(home) == names
    offsets = [e["body"].get("after") for e in requests_to(sandbox, "hubspot", "/companies/search")
               if len(e["body"]["filterGroups"][0]["filters"]) == 2]
    assert offsets == [None, "3"]
    assert _full_listings(sandbox) == []


def test_the_double_answers_400_past_the_search_cap_as_hubspot_documents(sandbox):
    sandbox.hubspot.max_search_results = 6
    url = f"{sandbox.env['HUBSPOT_BASE_URL']}/crm/v3/objects/companies/search"
    auth = {"Authorization": f"Bearer {sandbox.env['HUBSPOT_ACCESS_TOKEN']}"}
    last = requests.post(url, json={"limit": 3, "after": "3"}, headers=auth, timeout=10).json()
    assert len(last["results"]) == 3 and last["paging"]["next"]["after"] == "6" and last["total"] == 14

    beyond = requests.post(url, json={"limit": 3, "after": "6"}, headers=auth, timeout=10)

    assert beyond.status_code == 400
    assert beyond.json()["category"] == "VALIDATION_ERROR" and beyond.json()["status"] == "error"


# --- the same at HubSpot's real limits (10,000 results, 200 per search page) -----------------

@pytest.fixture
def full_page_sandbox(tiny_world, tmp_path, monkeypatch):
    """A sandbox serving HubSpot's full page sizes (the shared one serves 5 per page)."""
    with Sandbox(tiny_world, tmp_path / "sandbox") as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        yield running


def _add_companies(double, count: int, first_stamp: datetime, step: timedelta) -> None:
    """`count` new companies modified from `first_stamp` on, `step` apart (zero: all at once)."""
    with double.lock:
        for n in range(count):
            oid = str(90_000_000_000 + n)
            stamp = hs_datetime(first_stamp + n * step)
            double.store["companies"][oid] = {
                "id": oid, "createdAt": stamp, "updatedAt": stamp, "archived": False,
                "properties": {"name": f"Bulk {n}", "createdate": stamp, "hs_lastmodifieddate": stamp,
                               "hs_object_id": oid}}


@pytest.mark.slow
@pytest.mark.parametrize(("step", "searches", "listings"), [
    (timedelta(milliseconds=1), 51, 0),  # 200 a page, one record of each page read again by the next
    (timedelta(0), 3, 101),  # from the cursor, from the bulk millisecond, its total: list them all
])
def test_more_than_10000_modified_companies_at_the_real_limits(full_page_sandbox, home, step, searches, listings):
    sandbox = full_page_sandbox
    run_source(hubspot_companies, home)
    seeded = count(home, "raw_hubspot.companies")
    _add_companies(sandbox.hubspot, 10_050, datetime(2026, 11, 15, tzinfo=timezone.utc), step)
    sandbox.request_log.clear()

    run_source(hubspot_companies, home)

    assert count(home, "raw_hubspot.companies") == distinct_ids(home, "raw_hubspot.companies") == seeded + 10_050
    sent = requests_to(sandbox, "hubspot", "/companies/search")
    assert {e["status"] for e in sent} == {200} and len(sent) == searches
    assert len(_full_listings(sandbox)) == listings  # 10,064 companies at 100 a page when one millisecond holds them


def test_a_stored_cursor_in_the_future_is_dropped_and_the_resource_read_again(sandbox, home, tiny_world):
    run_source(training, home)
    pipeline = warehouse_pipeline("training", home)
    with pipeline.managed_state() as state:  # as a run before this guard could have left it
        state["sources"]["training"]["resources"]["courses"]["updated_since"] = FUTURE
    sandbox.request_log.clear()

    run_source(training, home)

    (sent,) = [params(e) for e in requests_to(sandbox, "lms", "/courses")]
    assert sent["updated_since"] == "1970-01-01T00:00:00Z"
    assert count(home, "raw_training.courses") == len(world_rows(tiny_world, "courses"))
    newest = query(home, "select max(updated_at) from raw_training.courses")[0][0]
    assert pipeline.state["sources"]["training"]["resources"]["courses"]["updated_since"].startswith(
        newest.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_listing_starts_at_the_vendors_clock_or_ours_less_a_margin():
    with_date = requests.Response()
    with_date.headers["Date"] = "Sun, 06 Dec 2026 03:30:00 GMT"
    assert listing_started(with_date) == datetime(2026, 12, 6, 3, 30, tzinfo=timezone.utc)
    without = listing_started(None)
    assert abs((datetime.now(timezone.utc) - CLOCK_MARGIN - without).total_seconds()) < 5
