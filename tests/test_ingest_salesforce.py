"""Salesforce source against the Salesforce double: exact counts, SystemModstamp, deletions."""

from __future__ import annotations

from urllib.parse import unquote_plus

import pytest

from pipelines.salesforce import salesforce
from sandbox.doubles.crm_world import load_crm_world
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, params, query, rejects, requests_to, run_source, sandbox,
)


@pytest.fixture
def world_salesforce(tiny_world):
    """What Salesforce holds of the world: its own accounts (contract, opportunity per
    contract and a lost renewal for a churn) and a copy of a tenth of HubSpot's."""
    world = load_crm_world(tiny_world)
    held = world.in_crm("salesforce")
    own = [a for a in held if a.crm == "salesforce"]
    return {
        "accounts": len(held),
        "contacts": sum(len(a.contacts) for a in held),
        "contracts": sum(len(a.contracts) for a in own),
        "opportunities": sum(len(a.contracts) + (1 if a.churned else 0) for a in own),
        "users": len({a.csm_email.lower() for a in held if a.csm_email}),
    }


def _soql(entry: dict) -> str:
    return unquote_plus(params(entry)["q"]) if "q" in params(entry) else ""


def test_first_load_reads_every_object_with_query_all(sandbox, home, world_salesforce):
    run_source(salesforce, home)

    for table, expected in world_salesforce.items():
        assert count(home, f"raw_salesforce.{table}") == distinct_ids(home, f"raw_salesforce.{table}") == expected
    first = [_soql(e) for e in requests_to(sandbox, "salesforce", "/queryAll/") if _soql(e)]
    assert first[0].startswith("SELECT Id, Name, AccountNumber") and first[0].endswith(
        "FROM Account WHERE SystemModstamp >= 1970-01-01T00:00:00Z ORDER BY SystemModstamp ASC")
    # pages of 10 follow the query locator
    assert len(requests_to(sandbox, "salesforce", "/queryAll/01g")) >= world_salesforce["contacts"] // 10
    assert query(home, "select count(*) from raw_salesforce.accounts where is_deleted")[0][0] == 0


def test_second_run_reads_only_changes_and_marks_deletions(sandbox, home, world_salesforce):
    run_source(salesforce, home)
    newest = query(home, "select strftime(max(system_modstamp), '%Y-%m-%dT%H:%M:%SZ') from raw_salesforce.accounts")
    account = sandbox.salesforce.records("Account")[0]["Id"]
    contact = sandbox.salesforce.records("Contact")[0]["Id"]
    sandbox.salesforce.delete("Account", account)
    sandbox.salesforce._apply("Contact", contact, {"Title": "Chief Customer Officer"})
    sandbox.request_log.clear()

    loaded = run_source(salesforce, home)

    soql = [_soql(e) for e in requests_to(sandbox, "salesforce", "/query") if _soql(e)]
    account_query = next(q for q in soql if "FROM Account" in q)
    assert f"WHERE SystemModstamp >= {newest[0][0]}" in account_query
    assert loaded["accounts"] <= 2 and loaded["contacts"] <= 2  # the change, and the boundary record
    assert "opportunities" not in loaded or loaded["opportunities"] <= 1

    assert query(home, "select is_deleted from raw_salesforce.accounts where id = ?", [account]) == [(True,)]
    assert query(home, "select title from raw_salesforce.contacts where id = ?", [contact]) == [
        ("Chief Customer Officer",)]
    for table, expected in world_salesforce.items():
        assert count(home, f"raw_salesforce.{table}") == distinct_ids(home, f"raw_salesforce.{table}") == expected


def test_server_errors_and_rate_limits_lose_nothing(sandbox, home, world_salesforce):
    flaky = sandbox.faults.add("salesforce", "/queryAll/", "server_error", status=503, first=2)
    limited = sandbox.faults.add("salesforce", "/query/", "rate_limit", first=1, retry_after=0.2)

    run_source(salesforce, home)

    assert flaky.fired == 2 and limited.fired == 1
    for table, expected in world_salesforce.items():
        assert count(home, f"raw_salesforce.{table}") == expected


def test_malformed_records_are_quarantined_with_their_reason(sandbox, home, world_salesforce):
    sandbox.faults.add("salesforce", "/queryAll/", "malformed", first=1, field="Id", value="not-an-id", index=0,
                       insert=True)

    run_source(salesforce, home)

    (resource, record, reason), = rejects(home, "raw_salesforce")
    assert resource == "accounts" and record["Id"] == "not-an-id"
    assert reason == "Id: expected a 15 or 18 character Salesforce Id, got 'not-an-id'"
    assert count(home, "raw_salesforce.accounts") == world_salesforce["accounts"]


def test_username_password_login_reads_the_same(sandbox, home, world_salesforce, monkeypatch):
    monkeypatch.delenv("SALESFORCE_INSTANCE_URL")
    monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN")
    for key, value in sandbox.salesforce_login.items():
        monkeypatch.setenv(key, value)

    run_source(salesforce, home)

    assert count(home, "raw_salesforce.accounts") == world_salesforce["accounts"]
