"""CRM activities against the CRM doubles: Salesforce Task / Event, HubSpot calls, meetings,
e-mails and notes. Exact counts from the world's activities.csv, the incremental cursor in
the request log, deletions, faults."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import unquote_plus

import pytest

from pipelines.hubspot import hubspot
from pipelines.salesforce import salesforce
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, home, params, query, rejects, requests_to, run_source, sandbox, world_rows,
)

SALESFORCE = ("tasks", "events")
HUBSPOT = ("calls", "meetings", "emails", "notes")
# world kind -> (CRM, raw table); a to-do in HubSpot is kept as a note, a note in Salesforce as a Task
TABLE = {("salesforce", "meeting"): "events", ("hubspot", "call"): "calls", ("hubspot", "meeting"): "meetings",
         ("hubspot", "email"): "emails", ("hubspot", "note"): "notes", ("hubspot", "task"): "notes"}


@pytest.fixture
def expected(tiny_world) -> dict[str, Counter]:
    """Rows per raw table and, of those, deleted ones, read from the world files alone."""
    crm_of = {a["account_id"]: a["crm"] for a in world_rows(tiny_world, "accounts")}
    rows, deleted, with_contact = Counter(), Counter(), Counter()
    for activity in world_rows(tiny_world, "activities"):
        crm = activity["crm"] or crm_of[activity["account_id"]]
        table = TABLE.get((crm, activity["kind"]), "tasks" if crm == "salesforce" else "notes")
        rows[table] += 1
        deleted[table] += activity["deleted_at"] is not None
        with_contact[table] += activity["contact_id"] is not None
    assert set(rows) == {*SALESFORCE, *HUBSPOT} and sum(deleted.values()) > 0  # the tiny world has them all
    return {"rows": rows, "deleted": deleted, "with_contact": with_contact}


def _soql(entry: dict) -> str:
    return unquote_plus(params(entry)["q"]) if "q" in params(entry) else ""


def test_salesforce_tasks_and_events_first_and_incremental_run(sandbox, home, expected):
    run_source(salesforce, home)

    for table in SALESFORCE:
        assert count(home, f"raw_salesforce.{table}") == expected["rows"][table]
        assert query(home, f"select count(*) from raw_salesforce.{table} where is_deleted")[0][0] == \
            expected["deleted"][table]
        assert query(home, f"select count(who_id) from raw_salesforce.{table}")[0][0] == expected["with_contact"][table]
    # every activity hangs on an Account that was landed, owned by a landed User
    assert query(home, """select count(*) from raw_salesforce.tasks t left join raw_salesforce.accounts a
                          on a.id = t.account_id left join raw_salesforce.users u on u.id = t.owner_id
                          where a.id is null or u.id is null""")[0][0] == 0
    assert query(home, "select count(*) from raw_salesforce.events where type = 'Meeting' and "
                       "event_subtype = 'Event' and start_date_time is not null")[0][0] == expected["rows"]["events"]
    first = [_soql(e) for e in requests_to(sandbox, "salesforce", "/queryAll/") if "FROM Task" in _soql(e)]
    assert first == ["SELECT Id, WhoId, WhatId, AccountId, OwnerId, Subject, Type, TaskSubtype, Status, ActivityDate, "
                     "CompletedDateTime, CreatedDate, SystemModstamp, IsDeleted FROM Task "
                     "WHERE SystemModstamp >= 1970-01-01T00:00:00Z ORDER BY SystemModstamp ASC"]

    newest = query(home, "select strftime(max(system_modstamp), '%Y-%m-%dT%H:%M:%SZ') from raw_salesforce.tasks")[0][0]
    live = [r for r in sandbox.salesforce.records("Task") if not r["IsDeleted"]]
    gone, retitled = live[0]["Id"], live[1]["Id"]
    sandbox.salesforce.delete("Task", gone)
    sandbox.salesforce._apply("Task", retitled, {"Subject": "Renewal call"})
    sandbox.request_log.clear()

    loaded = run_source(salesforce, home)

    task_queries = [_soql(e) for e in requests_to(sandbox, "salesforce", "/query") if "FROM Task" in _soql(e)]
    assert len(task_queries) == 1 and f"WHERE SystemModstamp >= {newest} ORDER BY" in task_queries[0]
    assert 2 <= loaded["tasks"] <= 4  # the two changes, and records of the cursor's second
    assert query(home, "select is_deleted from raw_salesforce.tasks where id = ?", [gone]) == [(True,)]
    assert query(home, "select subject from raw_salesforce.tasks where id = ?", [retitled]) == [("Renewal call",)]
    assert count(home, "raw_salesforce.tasks") == expected["rows"]["tasks"]
    assert query(home, "select count(*) from raw_salesforce.tasks where is_deleted")[0][0] == \
        expected["deleted"]["tasks"] + 1


def test_hubspot_engagements_first_and_incremental_run(sandbox, home, expected):
    run_source(hubspot, home)

    for table in HUBSPOT:
        assert count(home, f"raw_hubspot.{table}") == expected["rows"][table]
        assert query(home, f"select count(*) from raw_hubspot.{table} where archived")[0][0] == \
            expected["deleted"][table]
        assert query(home, f"select count(contact_id) from raw_hubspot.{table}")[0][0] == \
            expected["with_contact"][table]
        # every engagement points at a company that was landed
        assert query(home, f"select count(*) from raw_hubspot.{table} t left join raw_hubspot.companies c "
                           f"on c.id = t.company_id where c.id is null")[0][0] == 0
    lists = [e for e in requests_to(sandbox, "hubspot", "/crm/v3/objects/calls") if e["method"] == "GET"]
    assert params(lists[0])["associations"] == "companies,contacts"
    assert "hs_timestamp" in params(lists[0])["properties"].split(",")

    cursor = query(home, "select epoch_ms(max(hs_lastmodifieddate)) from raw_hubspot.calls")[0][0]
    calls = sandbox.hubspot.objects("calls")
    gone, changed = calls[0]["id"], calls[1]["id"]
    sandbox.hubspot.archive("calls", gone)
    sandbox.hubspot._apply("calls", changed, {"hs_call_title": "Renewal call"})
    sandbox.request_log.clear()

    run_source(hubspot, home)

    searches = [e for e in requests_to(sandbox, "hubspot", "/crm/v3/objects/calls/search")]
    assert searches[0]["body"]["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(cursor // 1000 * 1000)}
    # the changed call is read again for its associations, nothing is listed in full
    reads = [e["path"] for e in requests_to(sandbox, "hubspot", "/crm/v3/objects/calls")
             if e["method"] == "GET" and params(e).get("archived") != "true"]
    assert f"/crm/v3/objects/calls/{changed}" in reads and "/crm/v3/objects/calls" not in reads
    assert query(home, "select archived from raw_hubspot.calls where id = ?", [gone]) == [(True,)]
    assert query(home, "select hs_call_title, company_id is not null from raw_hubspot.calls where id = ?",
                 [changed]) == [("Renewal call", True)]
    assert count(home, "raw_hubspot.calls") == expected["rows"]["calls"]


def test_activity_faults_lose_nothing_and_quarantine_bad_records(sandbox, home, expected):
    flaky = sandbox.faults.add("salesforce", "/queryAll/", "server_error", status=503, first=2)
    storm = sandbox.faults.add("hubspot", "/crm/v3/objects/meetings", "rate_limit", first=2, retry_after=0.1)
    sandbox.faults.add("hubspot", "/crm/v3/objects/calls", "malformed", first=1, index=0, insert=True,
                       field="properties.hs_lastmodifieddate", value="yesterday-ish")

    run_source(salesforce, home)
    run_source(hubspot, home)

    assert flaky.fired == 2 and storm.fired == 2
    for table in SALESFORCE:
        assert count(home, f"raw_salesforce.{table}") == expected["rows"][table]
    for table in HUBSPOT:
        assert count(home, f"raw_hubspot.{table}") == expected["rows"][table]
    (resource, record, reason), = rejects(home, "raw_hubspot")
    assert resource == "calls" and record["properties"]["hs_lastmodifieddate"] == "yesterday-ish"
    assert reason == 'properties.hs_lastmodifieddate: expected an ISO-8601 timestamp, got str "yesterday-ish"'
    assert json.loads(query(home, "select record from raw_hubspot._rejected_records")[0][0])["id"] == record["id"]


def test_a_world_without_activities_serves_none(tmp_path, home, monkeypatch, tiny_world):
    """Worlds of other generators may lack activities.csv: the CRMs then hold no activities."""
    import shutil

    from sandbox.doubles.server import Sandbox

    world = tmp_path / "world"
    shutil.copytree(tiny_world, world)
    (world / "activities.csv").unlink()
    with Sandbox(world, tmp_path / "sandbox") as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        run_source(salesforce, home)
        run_source(hubspot, home)
    # no rows: dlt creates no table, and the staging models read such a source as empty
    assert [t for t in SALESFORCE if _exists(home, "raw_salesforce", t)] == []
    assert [t for t in HUBSPOT if _exists(home, "raw_hubspot", t)] == []
    assert count(home, "raw_salesforce.accounts") > 0 and count(home, "raw_hubspot.companies") > 0


def _exists(home, schema: str, table: str) -> bool:
    return query(home, "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                 [schema, table])[0][0] > 0
