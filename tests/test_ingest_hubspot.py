"""HubSpot source against the HubSpot double: exact counts, search by last-modified, archives."""

from __future__ import annotations

import json

import pytest

from pipelines.hubspot import hubspot
from sandbox.doubles.crm_world import load_crm_world
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox,
)


@pytest.fixture
def world_hubspot(tiny_world):
    """What HubSpot holds of the world: its own accounts (and their deals: one per contract,
    plus a lost renewal for a churn) and a copy of a tenth of Salesforce's (company, contacts)."""
    world = load_crm_world(tiny_world)
    held = world.in_crm("hubspot")
    own = [a for a in held if a.crm == "hubspot"]
    return {
        "companies": len(held),
        "contacts": sum(len(a.contacts) for a in held),
        "deals": sum(len(a.contracts) + (1 if a.churned else 0) for a in own),
        "owners": len({a.csm_email.lower() for a in held if a.csm_email}),
    }


def _search_filter(entry: dict) -> dict:
    return entry["body"]["filterGroups"][0]["filters"][0]


def test_first_load_lists_every_object_with_its_associations(sandbox, home, world_hubspot):
    run_source(hubspot, home)

    for table in ("companies", "contacts", "deals", "owners"):
        assert count(home, f"raw_hubspot.{table}") == distinct_ids(home, f"raw_hubspot.{table}") == world_hubspot[table]
    assert query(home, "select count(*) from raw_hubspot.deals where company_id is null")[0][0] == 0
    assert query(home, "select count(*) from raw_hubspot.contacts where associatedcompanyid is null")[0][0] == 0
    # every deal and contact points at a company that was landed
    dangling = query(home, "select count(*) from raw_hubspot.deals d left join raw_hubspot.companies c "
                           "on c.id = d.company_id where c.id is null")[0][0]
    assert dangling == 0
    lists = requests_to(sandbox, "hubspot", "/crm/v3/objects/deals")
    assert params(lists[0])["associations"] == "companies" and params(lists[0])["archived"] == "false"
    assert len([e for e in lists if params(e)["archived"] == "false"]) == -(-world_hubspot["deals"] // 5)
    assert requests_to(sandbox, "hubspot", "/search") == []


def test_second_run_searches_only_what_changed_and_marks_archives(sandbox, home, world_hubspot):
    run_source(hubspot, home)
    cursors = {t: query(home, f"select epoch_ms(max({c})) from raw_hubspot.{t}")[0][0]
               for t, c in (("companies", "hs_lastmodifieddate"), ("contacts", "lastmodifieddate"),
                            ("deals", "hs_lastmodifieddate"))}
    companies = sandbox.hubspot.objects("companies")
    gone, renamed = companies[0]["id"], companies[1]["id"]
    deal = sandbox.hubspot.objects("deals")[0]
    sandbox.hubspot.archive("companies", gone)
    sandbox.hubspot._apply("companies", renamed, {"name": "Renamed Inc"})
    sandbox.hubspot._apply("deals", deal["id"], {"dealstage": "closedlost"})
    sandbox.request_log.clear()

    loaded = run_source(hubspot, home)

    searches = {e["path"].split("/")[4]: e for e in requests_to(sandbox, "hubspot", "/search")}
    assert set(searches) == {"companies", "contacts", "deals", "calls", "meetings", "emails", "notes"}
    assert _search_filter(searches["companies"]) == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(cursors["companies"] // 1000 * 1000)}
    assert _search_filter(searches["contacts"])["propertyName"] == "lastmodifieddate"
    assert searches["deals"]["body"]["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    # no full listing of live objects; the changed deal is read again for its company
    reads = [e["path"] for e in requests_to(sandbox, "hubspot", "/crm/v3/objects/")
             if e["method"] == "GET" and params(e).get("archived") != "true"
             and e["path"].split("/")[4] in ("companies", "contacts", "deals")]
    assert f"/crm/v3/objects/deals/{deal['id']}" in reads
    assert all(path.startswith("/crm/v3/objects/deals/") for path in reads) and len(reads) <= 2
    assert loaded["companies"] <= 3 and loaded["deals"] <= 2  # changed, archived, and the boundary

    assert count(home, "raw_hubspot.companies") == world_hubspot["companies"]
    assert query(home, "select archived from raw_hubspot.companies where id = ?", [gone]) == [(True,)]
    assert query(home, "select name from raw_hubspot.companies where id = ?", [renamed]) == [("Renamed Inc",)]
    assert query(home, "select dealstage, company_id is not null from raw_hubspot.deals where id = ?",
                 [deal["id"]]) == [("closedlost", True)]
    assert count(home, "raw_hubspot.deals") == distinct_ids(home, "raw_hubspot.deals") == world_hubspot["deals"]


def test_rate_limits_and_server_errors_lose_nothing(sandbox, home, world_hubspot):
    run_source(hubspot, home)
    sandbox.hubspot._apply("contacts", sandbox.hubspot.objects("contacts")[3]["id"], {"jobtitle": "CFO"})
    storm = sandbox.faults.add("hubspot", "/search", "rate_limit", first=3, retry_after=0.2)
    broken = sandbox.faults.add("hubspot", "/owners", "server_error", status=502, first=2)

    run_source(hubspot, home)

    assert storm.fired == 3 and broken.fired == 2
    assert [e["status"] for e in requests_to(sandbox, "hubspot", "/search")][:4] == [429, 429, 429, 200]
    for table in ("companies", "contacts", "deals", "owners"):
        assert count(home, f"raw_hubspot.{table}") == world_hubspot[table]
    assert query(home, "select count(*) from raw_hubspot.contacts where jobtitle = 'CFO'")[0][0] >= 1


def test_malformed_records_are_quarantined_with_their_reason(sandbox, home, world_hubspot):
    sandbox.faults.add("hubspot", "/crm/v3/objects/companies", "malformed", first=1, index=1, insert=True,
                       field="properties.hs_lastmodifieddate", value="last tuesday")

    run_source(hubspot, home)

    (resource, record, reason), = rejects(home, "raw_hubspot")
    assert resource == "companies" and record["properties"]["hs_lastmodifieddate"] == "last tuesday"
    assert reason == 'properties.hs_lastmodifieddate: expected an ISO-8601 timestamp, got str "last tuesday"'
    assert count(home, "raw_hubspot.companies") == world_hubspot["companies"]
    assert json.loads(query(home, "select record from raw_hubspot._rejected_records")[0][0])["id"] == record["id"]
