"""The vendor doubles, driven through the real client libraries (simple-salesforce,
hubspot-api-client) against a running Sandbox on a hand-built tiny world."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.world.format import EVENT_COLUMNS, WORLD_TABLES
from tests.services import default_signals

# --- a tiny world -----------------------------------------------------------------------
# Salesforce: A-1 (3 contracts, renewed twice), A-2 (1 open), A-3 (churned 2025-05-01).
# HubSpot:    A-4 (renewed once, open), A-5 (churned 2025-09-01).

WORLD = {
    "accounts": [
        ["A-1", "Acme Corp", "acme.example", "Software", "250", "US", "salesforce", "jane.doe@cs.example", "2023-12-01T10:00:00Z"],
        ["A-2", "Globex", "globex.example", "Retail", "1200", "DE", "salesforce", "jane.doe@cs.example", "2025-05-20T09:30:00Z"],
        ["A-3", "Initech", "initech.example", "Software", "80", "US", "salesforce", "bob.smith@cs.example", "2024-04-15T14:00:00Z"],
        ["A-4", "Umbrella", "umbrella.example", "Healthcare", "5000", "GB", "hubspot", "carol.white@cs.example", "2025-01-10T08:00:00Z"],
        ["A-5", "Hooli", "hooli.example", "Software", "40", "US", "hubspot", "carol.white@cs.example", "2024-08-20T12:00:00Z"],
    ],
    "contracts": [
        ["K-1", "A-1", "2024-01-01", "2025-01-01", "1000", "20", "pro", "true"],
        ["K-2", "A-1", "2025-01-01", "2026-01-01", "1200", "25", "pro", "true"],
        ["K-3", "A-1", "2026-01-01", "2027-01-01", "1500", "30", "enterprise", ""],
        ["K-4", "A-2", "2025-06-01", "2026-06-01", "3000", "100", "enterprise", ""],
        ["K-5", "A-3", "2024-05-01", "2025-05-01", "400", "5", "starter", "false"],
        ["K-6", "A-4", "2025-02-01", "2026-02-01", "2000", "50", "pro", "true"],
        ["K-7", "A-4", "2026-02-01", "2027-02-01", "2100", "55", "pro", ""],
        ["K-8", "A-5", "2024-09-01", "2025-09-01", "300", "4", "starter", "false"],
    ],
    "contacts": [
        ["P-1", "A-1", "wile@acme.example", "Wile", "Coyote", "CTO"],
        ["P-2", "A-1", "road@acme.example", "Road", "Runner", "Admin"],
        ["P-3", "A-2", "hank@globex.example", "Hank", "Scorpio", "CEO"],
        ["P-4", "A-3", "peter@initech.example", "Peter", "Gibbons", "Engineer"],
        ["P-5", "A-4", "alice@umbrella.example", "Alice", "Abernathy", "COO"],
        ["P-6", "A-4", "albert@umbrella.example", "Albert", "Wesker", "Head of Research"],
        ["P-7", "A-5", "gavin@hooli.example", "Gavin", "Belson", "CEO"],
    ],
    "tenants": [
        ["T-1", "A-1", "acme", "wile@acme.example", "2024-01-02T09:00:00Z"],
        ["T-2", "A-2", "Globex GmbH", "hank@globex.example", "2025-06-02T09:00:00Z"],
        ["T-3", "A-4", "umbrella-prod", "alice@umbrella.example", "2025-02-02T09:00:00Z"],
    ],
    "product_users": [
        ["U-1", "T-1", "wile@acme.example", "admin", "2024-01-02T09:05:00Z"],
        ["U-2", "T-1", "road@acme.example", "member", "2024-02-01T10:00:00Z"],
        ["U-3", "T-2", "hank@globex.example", "admin", "2025-06-02T09:10:00Z"],
        ["U-4", "T-3", "alice@umbrella.example", "admin", "2025-02-02T09:10:00Z"],
    ],
    "tickets": [["Z-1", "zendesk", "wile@acme.example", "Login broken", "high", "solved",
                 "2025-11-01T10:00:00Z", "2025-11-01T11:00:00Z", "2025-11-02T10:00:00Z", "good"]],
    "survey_invitations": [["I-1", "wile@acme.example", "relationship", "2025-10-01T10:00:00Z"]],
    "survey_responses": [["R-1", "I-1", "wile@acme.example", "9", "great", "2025-10-02T10:00:00Z"]],
    "courses": [["C-1", "Getting started", "onboarding"]],
    "enrollments": [["E-1", "C-1", "wile@acme.example", "2024-01-05T10:00:00Z", "2024-01-10T10:00:00Z", "2024-01-10T11:00:00Z"]],
    "activities": [
        ["ACT-1", "A-1", "salesforce", "call", "Check-in call", "jane.doe@cs.example", "P-1", "2026-02-10T09:00:00Z", ""],
        ["ACT-2", "A-1", "salesforce", "meeting", "Quarterly business review", "jane.doe@cs.example", "P-2",
         "2026-02-20T14:00:00Z", ""],
        ["ACT-3", "A-1", "salesforce", "email", "Follow-up", "jane.doe@cs.example", "P-1", "2026-02-21T10:00:00Z",
         "2026-02-25T10:00:00Z"],
        ["ACT-4", "A-4", "hubspot", "meeting", "Roadmap session", "carol.white@cs.example", "P-5", "2026-02-15T13:00:00Z", ""],
        ["ACT-5", "A-4", "hubspot", "note", "Account notes", "carol.white@cs.example", "", "2026-02-16T13:00:00Z", ""],
    ],
}


def write_tiny_world(out: Path, **tables: list[list[str]]) -> Path:
    """The tiny world above; keyword arguments replace whole tables (other test modules
    give it their own tickets, surveys or courses)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").write_text(json.dumps({"as_of": "2026-03-04", "seed": 7, "size": "XS", "generator": "tests"}))
    for name, columns in WORLD_TABLES.items():
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(tables.get(name, WORLD[name]))
    (out / "events").mkdir(exist_ok=True)
    events = [["V-1", "T-1", "U-1", "login", None, "2026-03-01T09:00:00Z"],
              ["V-2", "T-1", "U-2", "feature_used", "reports", "2026-03-02T10:00:00Z"]]
    table = pa.table({c: [e[i] for e in events] for i, c in enumerate(EVENT_COLUMNS)})
    pq.write_table(table, out / "events" / "part-000.parquet")
    return out


# --- fixtures ---------------------------------------------------------------------------

from collections import Counter  # noqa: E402

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from hubspot import HubSpot  # noqa: E402
from hubspot.crm.companies import ApiException as CompaniesApiException  # noqa: E402
from hubspot.crm.companies import (  # noqa: E402
    BatchInputSimplePublicObjectBatchInput, BatchReadInputSimplePublicObjectId, BatchResponseSimplePublicObject,
    BatchResponseSimplePublicObjectWithErrors, PublicObjectSearchRequest, SimplePublicObjectBatchInput,
    SimplePublicObjectId,
)
from hubspot.crm.properties import ApiException as PropertiesApiException  # noqa: E402
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate  # noqa: E402
from simple_salesforce import Salesforce  # noqa: E402
from simple_salesforce.exceptions import (  # noqa: E402
    SalesforceExpiredSession, SalesforceMalformedRequest, SalesforceResourceNotFound,
)

from sandbox.doubles.salesforce import SalesforceDouble  # noqa: E402
from sandbox.doubles.salesforce_schema import normalize_id, to18  # noqa: E402
from sandbox.doubles.server import SYSTEMS, Sandbox  # noqa: E402

CS_FIELDS = ["CS_Health_Score__c", "CS_Health_Band__c", "CS_Health_Trend_30d__c", "CS_Health_Reasons__c",
             "CS_Lifecycle_Stage__c", "CS_Churn_Risk__c", "CS_Churn_Drivers__c", "CS_Account_Page_URL__c",
             "CS_Score_Updated_At__c"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return write_tiny_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def sandbox(world, tmp_path, monkeypatch):
    with Sandbox(world, tmp_path / "state", page_sizes={"salesforce": 2}) as sb:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", sb.env["REQUESTS_CA_BUNDLE"])
        yield sb


@pytest.fixture
def sf(sandbox) -> Salesforce:
    env = sandbox.env
    return Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"], session_id=env["SALESFORCE_ACCESS_TOKEN"])


@pytest.fixture
def hs(sandbox) -> HubSpot:
    # hubspot-api-client copies every extra kwarg onto each API's Configuration: host= moves all APIs
    return HubSpot(access_token=sandbox.env["HUBSPOT_ACCESS_TOKEN"], host=sandbox.env["HUBSPOT_BASE_URL"])


def account_ids(sf) -> dict[str, str]:
    return {r["AccountNumber"]: r["Id"] for r in sf.query_all("SELECT Id, AccountNumber FROM Account")["records"]}


def update(sf, records, all_or_none=False):
    return sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": all_or_none, "records": records})


# --- sandbox ----------------------------------------------------------------------------

ENV_KEYS = ["SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "HUBSPOT_BASE_URL", "HUBSPOT_ACCESS_TOKEN",
            "ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "FRESHDESK_BASE_URL", "FRESHDESK_API_KEY",
            "SURVEY_BASE_URL", "SURVEY_API_TOKEN", "LMS_BASE_URL", "LMS_API_TOKEN", "ALERT_WEBHOOK_URL",
            "PRODUCT_DB_URL", "PRODUCT_EVENTS_PATH", "REQUESTS_CA_BUNDLE"]


def test_env_points_at_the_doubles(sandbox, world):
    env = sandbox.env
    assert list(env) == ENV_KEYS
    assert env["SALESFORCE_INSTANCE_URL"].startswith("https://127.0.0.1:")
    for key in ("HUBSPOT_BASE_URL", "ZENDESK_BASE_URL", "FRESHDESK_BASE_URL", "SURVEY_BASE_URL", "LMS_BASE_URL"):
        assert env[key].startswith("http://127.0.0.1:")
    assert env["ALERT_WEBHOOK_URL"].startswith("http://127.0.0.1:") and "/services/" in env["ALERT_WEBHOOK_URL"]
    secrets = [env[k] for k in ENV_KEYS if k.endswith(("_TOKEN", "_API_KEY"))]
    assert len(set(secrets)) == len(secrets) == 6
    ports = {urlparse(env[k]).port for k in ENV_KEYS if env[k].startswith("http")}
    assert len(ports) == 7  # one server per system
    assert env["PRODUCT_DB_URL"] == f"sqlite:///{sandbox.state_dir / 'product.db'}"
    assert Path(env["PRODUCT_EVENTS_PATH"]) == world.resolve() / "events"
    ca = (sandbox.state_dir / "ca.pem").read_text()
    assert ca.strip() in Path(env["REQUESTS_CA_BUNDLE"]).read_text()


def test_product_db_has_tenants_and_users_without_account_ids(sandbox):
    engine = sa.create_engine(sandbox.env["PRODUCT_DB_URL"])
    inspector = sa.inspect(engine)
    assert sorted(inspector.get_table_names()) == ["tenants", "users"]
    assert [c["name"] for c in inspector.get_columns("tenants")] == ["tenant_id", "name", "signup_email", "created_at"]
    assert [c["name"] for c in inspector.get_columns("users")] == ["user_id", "tenant_id", "email", "role", "created_at"]
    assert inspector.get_pk_constraint("tenants")["constrained_columns"] == ["tenant_id"]
    with engine.connect() as db:
        tenants = db.execute(sa.text("SELECT tenant_id, name, created_at FROM tenants ORDER BY tenant_id")).all()
        users = db.execute(sa.text("SELECT user_id, tenant_id FROM users ORDER BY user_id")).all()
    assert [tuple(t) for t in tenants] == [("T-1", "acme", "2024-01-02 09:00:00"),
                                           ("T-2", "Globex GmbH", "2025-06-02 09:00:00"),
                                           ("T-3", "umbrella-prod", "2025-02-02 09:00:00")]
    assert [tuple(u) for u in users] == [("U-1", "T-1"), ("U-2", "T-1"), ("U-3", "T-2"), ("U-4", "T-3")]
    engine.dispose()


# --- Salesforce -------------------------------------------------------------------------

def test_case_safe_id_checksum():
    assert to18("a0RE000000IJmcN") == "a0RE000000IJmcNMAT"
    assert to18("001M000000qfPyS") == "001M000000qfPySIAU"
    assert to18("AbCdEfGhIjKlMnO") == "AbCdEfGhIjKlMnOVKV"
    assert to18("aBcDEfgHIJKLMNO") == "aBcDEfgHIJKLMNO025"
    assert normalize_id("a0re000000ijmcnmat") == "a0RE000000IJmcNMAT"  # 18-char ids ignore case
    assert normalize_id("a0RE000000IJmcN") == "a0RE000000IJmcNMAT"
    assert normalize_id("not-an-id") is None


def test_ids_are_deterministic_and_realistic(world):
    first = SalesforceDouble(world, token="x").store
    second = SalesforceDouble(world, token="y").store
    assert {o: sorted(r) for o, r in first.items()} == {o: sorted(r) for o, r in second.items()}
    prefixes = {"Account": "001", "Contact": "003", "Contract": "800", "Opportunity": "006", "User": "005"}
    for obj, prefix in prefixes.items():
        for rid in first[obj]:
            assert len(rid) == 18 and rid.startswith(prefix) and to18(rid[:15]) == rid


def test_query_pages_through_next_records_url(sf, sandbox):
    first = sf.query("SELECT Id, AccountNumber FROM Account ORDER BY AccountNumber")
    assert (first["totalSize"], first["done"], len(first["records"])) == (3, False, 2)
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    sandbox.request_log.clear()

    result = sf.query_all("SELECT Id, Name, AccountNumber, Type, Website FROM Account ORDER BY AccountNumber")
    assert result["totalSize"] == 3
    assert [(r["AccountNumber"], r["Name"], r["Type"], r["Website"]) for r in result["records"]] == [
        ("A-1", "Acme Corp", "Customer", "https://acme.example"),
        ("A-2", "Globex", "Customer", "https://globex.example"),
        ("A-3", "Initech", "Former Customer", "https://initech.example")]
    assert result["records"][0]["attributes"]["type"] == "Account"
    paths = [e["path"] for e in sandbox.request_log.entries("salesforce")]
    assert paths[0] == "/services/data/v59.0/query/" and paths[1].startswith("/services/data/v59.0/query/01g")
    assert len(paths) == 2

    opportunities = list(sf.query_all_iter("SELECT Name, Type, StageName, Amount, IsWon FROM Opportunity"))
    assert len(opportunities) == 6  # 3 pages of 2
    assert Counter(o["StageName"] for o in opportunities) == {"Closed Won": 5, "Closed Lost": 1}
    assert Counter(o["Type"] for o in opportunities) == {"New Business": 3, "Renewal": 3}
    lost = next(o for o in opportunities if o["StageName"] == "Closed Lost")
    assert (lost["Name"], lost["Amount"], lost["IsWon"]) == ("Initech - Renewal 2025-05", 4800.0, False)

    contracts = sf.query_all("SELECT ContractNumber, Status FROM Contract ORDER BY ContractNumber")["records"]
    assert [(c["ContractNumber"], c["Status"]) for c in contracts] == [
        ("00000100", "Expired"), ("00000101", "Expired"), ("00000102", "Activated"),
        ("00000103", "Expired"), ("00000104", "Activated")]  # A-3 (churned), then A-2
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 4  # query_all recounts records
    users = sf.query_all("SELECT Email, Name, IsActive FROM User ORDER BY Email")["records"]
    assert [(u["Email"], u["Name"], u["IsActive"]) for u in users] == [
        ("bob.smith@cs.example", "Bob Smith", True), ("jane.doe@cs.example", "Jane Doe", True)]


def test_query_filters_and_value_formats(sf):
    rows = sf.query_all("SELECT AccountNumber, CreatedDate, NumberOfEmployees FROM Account "
                        "WHERE CreatedDate > 2024-01-01T00:00:00Z AND Type = 'customer'")["records"]
    assert [(r["AccountNumber"], r["CreatedDate"], r["NumberOfEmployees"]) for r in rows] == [
        ("A-2", "2025-05-20T09:30:00.000+0000", 1200)]
    recent = sf.query_all("SELECT StartDate, EndDate, Status, ContractTerm, MRR__c, Seats__c, Plan__c "
                          "FROM Contract WHERE SystemModstamp >= 2026-01-01T00:00:00Z ORDER BY StartDate DESC")
    assert [tuple(r[k] for k in ("StartDate", "EndDate", "Status", "ContractTerm", "MRR__c", "Seats__c", "Plan__c"))
            for r in recent["records"]] == [
        ("2026-01-01", "2027-01-01", "Activated", 12, 1500.0, 30.0, "enterprise"),
        ("2025-01-01", "2026-01-01", "Expired", 12, 1200.0, 25.0, "pro")]
    rows = sf.query_all("SELECT Id FROM Opportunity WHERE CloseDate >= 2025-06-01 AND IsWon = true LIMIT 5")
    assert rows["totalSize"] == 2
    owners = sf.query_all("SELECT AccountNumber FROM Account WHERE AccountNumber IN ('A-1', 'A-3') OR Name LIKE 'glob%'")
    assert sorted(r["AccountNumber"] for r in owners["records"]) == ["A-1", "A-2", "A-3"]


def test_activities_are_tasks_and_events_with_their_account_and_contact(sf):
    acme = sf.query("SELECT Id FROM Account WHERE AccountNumber = 'A-1'")["records"][0]["Id"]
    wile, road = (sf.query(f"SELECT Id FROM Contact WHERE Email = '{e}'")["records"][0]["Id"]
                  for e in ("wile@acme.example", "road@acme.example"))
    jane = sf.query("SELECT Id FROM User WHERE Email = 'jane.doe@cs.example'")["records"][0]["Id"]
    fields = ["Subject", "TaskSubtype", "Type", "Status", "ActivityDate", "CompletedDateTime", "WhatId", "AccountId",
              "WhoId", "OwnerId", "IsDeleted", "SystemModstamp"]
    tasks = sf.query_all(f"SELECT {', '.join(fields)} FROM Task ORDER BY ActivityDate", include_deleted=True)
    assert [tuple(r[f] for f in fields) for r in tasks["records"]] == [
        ("Check-in call", "Call", "Call", "Completed", "2026-02-10", "2026-02-10T09:00:00.000+0000", acme, acme,
         wile, jane, False, "2026-02-10T09:00:00.000+0000"),
        # deleted on 2026-02-25: in the recycle bin, only queryAll returns it
        ("Follow-up", "Email", "Email", "Completed", "2026-02-21", "2026-02-21T10:00:00.000+0000", acme, acme,
         wile, jane, True, "2026-02-25T10:00:00.000+0000")]
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 1
    event, = sf.query_all("SELECT Subject, Type, EventSubtype, StartDateTime, EndDateTime, DurationInMinutes, "
                          "ActivityDate, WhoId, AccountId, CreatedDate FROM Event")["records"]
    assert (event["Subject"], event["Type"], event["EventSubtype"], event["StartDateTime"], event["ActivityDate"],
            event["WhoId"], event["AccountId"]) == ("Quarterly business review", "Meeting", "Event",
                                                    "2026-02-20T14:00:00.000+0000", "2026-02-20", road, acme)
    assert event["DurationInMinutes"] in (30, 60) and event["CreatedDate"] <= event["StartDateTime"]
    describe = sf.Task.describe()
    assert describe["keyPrefix"] == "00T" and sf.Event.describe()["keyPrefix"] == "00U"
    by_name = {f["name"]: f for f in describe["fields"]}
    assert by_name["WhoId"]["relationshipName"] == "Who" and by_name["WhatId"]["referenceTo"] == ["Account"]
    assert [v["value"] for v in by_name["TaskSubtype"]["picklistValues"]] == [
        "Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"]


def test_hubspot_engagements_with_their_company_and_contact(hs):
    umbrella = hs.crm.companies.basic_api.get_page(properties=["customer_id"]).results
    company = next(c.id for c in umbrella if c.properties["customer_id"] == "A-4")
    meetings = hs.crm.objects.meetings.basic_api.get_page(
        properties=["hs_timestamp", "hs_meeting_title", "hs_meeting_outcome", "hubspot_owner_id"],
        associations=["companies", "contacts"]).results
    meeting, = meetings
    assert (meeting.properties["hs_meeting_title"], meeting.properties["hs_meeting_outcome"],
            meeting.properties["hs_timestamp"]) == ("Roadmap session", "COMPLETED", "2026-02-15T13:00:00.000Z")
    assert [a.id for a in meeting.associations["companies"].results] == [company]
    assert meeting.associations["companies"].results[0].type == "meeting_to_company"
    alice = hs.crm.contacts.basic_api.get_by_id(meeting.associations["contacts"].results[0].id, properties=["email"])
    assert alice.properties["email"] == "alice@umbrella.example"
    note, = hs.crm.objects.notes.basic_api.get_page(properties=["hs_note_body"], associations=["contacts"]).results
    assert note.properties["hs_note_body"] == "<div>Account notes</div>" and not note.associations
    assert hs.crm.objects.calls.basic_api.get_page().results == []


def test_query_errors_look_like_salesforce(sf):
    with pytest.raises(SalesforceMalformedRequest) as bad_field:
        sf.query("SELECT Id, Foo FROM Account")
    assert bad_field.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Foo' on entity 'Account'" in bad_field.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as quoted:
        sf.query("SELECT Id FROM Account WHERE SystemModstamp > '2026-01-01T00:00:00Z'")
    assert quoted.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "must be of type dateTime and should not be enclosed in quotes" in quoted.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as bad_object:
        sf.query("SELECT Id FROM Lead")
    assert bad_object.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_query_all_includes_soft_deleted_records(sf, sandbox):
    contact = sf.query("SELECT Id FROM Contact WHERE Email = 'road@acme.example'")["records"][0]["Id"]
    assert sf.Contact.delete(contact) == 204
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 3
    everything = sf.query_all("SELECT Id, IsDeleted FROM Contact", include_deleted=True)["records"]
    assert len(everything) == 4
    assert [r["Id"] for r in everything if r["IsDeleted"]] == [contact]
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Contact.get(contact)
    assert gone.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert sandbox.salesforce.record_by("Contact", "Id", contact)["IsDeleted"] is True


def test_describe_lists_the_fields_and_cs_custom_fields(sf):
    describe = sf.Account.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert list(fields) == ["Id", "Name", "AccountNumber", "Website", "Industry", "NumberOfEmployees",
                            "BillingCountry", "Type", "OwnerId", "CreatedDate", "SystemModstamp", "IsDeleted",
                            *CS_FIELDS]
    assert describe["keyPrefix"] == "001"
    band = fields["CS_Health_Band__c"]
    assert (band["type"], band["updateable"], band["restrictedPicklist"], band["custom"]) == ("picklist", True, True, True)
    assert [v["value"] for v in band["picklistValues"]] == ["red", "yellow", "green"]
    assert [v["value"] for v in fields["CS_Lifecycle_Stage__c"]["picklistValues"]] == [
        "onboarding", "adoption", "renewal", "churned"]
    assert (fields["CS_Health_Reasons__c"]["type"], fields["CS_Health_Reasons__c"]["length"]) == ("textarea", 32768)
    assert fields["CS_Health_Score__c"]["type"] == fields["CS_Churn_Risk__c"]["type"] == "double"
    assert fields["CS_Score_Updated_At__c"]["type"] == "datetime"
    assert (fields["CS_Account_Page_URL__c"]["type"], fields["CS_Account_Page_URL__c"]["length"]) == ("url", 255)
    assert (fields["Id"]["updateable"], fields["SystemModstamp"]["updateable"]) == (False, False)
    assert {f["name"] for f in sf.Contract.describe()["fields"]} == {
        "Id", "AccountId", "ContractNumber", "StartDate", "EndDate", "Status", "ContractTerm", "MRR__c",
        "Seats__c", "Plan__c", "CreatedDate", "SystemModstamp", "IsDeleted"}


def test_collections_update_writes_fields_and_bumps_modstamp(sf, sandbox):
    ids = account_ids(sf)
    before = sandbox.salesforce.record_by("Account", "AccountNumber", "A-1")
    assert all(before[f] is None for f in CS_FIELDS)  # nothing written until the sync runs
    seeded = max(r["SystemModstamp"] for r in sandbox.salesforce.records("Account"))
    results = update(sf, [
        {"attributes": {"type": "Account"}, "id": ids["A-1"], "CS_Health_Score__c": 71.5,
         "CS_Health_Band__c": "green", "CS_Health_Trend_30d__c": -3.2, "CS_Health_Reasons__c": "usage up",
         "CS_Lifecycle_Stage__c": "renewal", "CS_Churn_Risk__c": 0.12,
         "CS_Score_Updated_At__c": "2026-03-04T06:00:00Z"},
        {"attributes": {"type": "Account"}, "id": ids["A-2"].lower(), "CS_Health_Band__c": "red"},
    ])
    assert results == [{"id": ids["A-1"], "success": True, "errors": []},
                       {"id": ids["A-2"], "success": True, "errors": []}]
    after = sandbox.salesforce.record_by("Account", "AccountNumber", "A-1")
    assert {f: after[f] for f in CS_FIELDS} == {
        "CS_Health_Score__c": 71.5, "CS_Health_Band__c": "green", "CS_Health_Trend_30d__c": -3.2,
        "CS_Health_Reasons__c": "usage up", "CS_Lifecycle_Stage__c": "renewal", "CS_Churn_Risk__c": 0.12,
        "CS_Churn_Drivers__c": None, "CS_Account_Page_URL__c": None,
        "CS_Score_Updated_At__c": "2026-03-04T06:00:00.000+0000"}
    assert after["SystemModstamp"] > before["SystemModstamp"]
    changed = sf.query_all(f"SELECT AccountNumber FROM Account WHERE SystemModstamp > {seeded[:19]}Z "
                           "ORDER BY AccountNumber")["records"]
    assert [r["AccountNumber"] for r in changed] == ["A-1", "A-2"]


def test_single_record_get_and_update(sf, sandbox):
    ids = account_ids(sf)
    record = sf.Account.get(ids["A-2"])
    assert (record["attributes"]["type"], record["AccountNumber"], record["NumberOfEmployees"]) == ("Account", "A-2", 1200)
    assert sf.Account.update(ids["A-2"], {"CS_Health_Band__c": "yellow"}) == 204
    assert sandbox.salesforce.record_by("Account", "Id", ids["A-2"])["CS_Health_Band__c"] == "yellow"
    with pytest.raises(SalesforceMalformedRequest) as bad:
        sf.Account.update(ids["A-2"], {"CS_Health_Band__c": "blue"})
    assert bad.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_collections_update_reports_errors_per_record(sf, sandbox):
    ids = account_ids(sf)
    contact = sf.query("SELECT Id FROM Contact LIMIT 1")["records"][0]["Id"]
    sandbox.salesforce.delete("Account", ids["A-3"])
    missing = to18("001Hp0" + "000000000")
    results = update(sf, [
        {"attributes": {"type": "Account"}, "id": ids["A-1"], "CS_Health_Score__c": 50},
        {"attributes": {"type": "Account"}, "id": ids["A-2"], "CS_Health_Band__c": "purple"},
        {"attributes": {"type": "Account"}, "id": missing, "CS_Health_Score__c": 1},
        {"attributes": {"type": "Account"}, "id": ids["A-3"], "CS_Health_Score__c": 1},
        {"attributes": {"type": "Account"}, "id": ids["A-2"], "CS_Nope__c": 1},
        {"attributes": {"type": "Account"}, "id": ids["A-2"], "CreatedDate": "2020-01-01T00:00:00Z"},
        {"attributes": {"type": "Account"}, "id": contact, "CS_Health_Score__c": 1},
    ])
    assert results[0] == {"id": ids["A-1"], "success": True, "errors": []}
    assert [(r["success"], r["errors"][0]["statusCode"], r["errors"][0]["fields"]) for r in results[1:]] == [
        (False, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["CS_Health_Band__c"]),
        (False, "INVALID_CROSS_REFERENCE_KEY", []),
        (False, "ENTITY_IS_DELETED", []),
        (False, "INVALID_FIELD", []),
        (False, "INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"]),
        (False, "MALFORMED_ID", ["Id"]),
    ]
    assert results[1]["errors"][0]["message"] == "Health Band: bad value for restricted picklist field: purple"
    assert results[4]["errors"][0]["message"] == "No such column 'CS_Nope__c' on sobject of type Account"
    assert sandbox.salesforce.record_by("Account", "AccountNumber", "A-1")["CS_Health_Score__c"] == 50.0
    assert sandbox.salesforce.record_by("Account", "AccountNumber", "A-2")["CS_Health_Band__c"] is None


def test_all_or_none_rolls_back_every_record(sf, sandbox):
    ids = account_ids(sf)
    results = update(sf, [
        {"attributes": {"type": "Account"}, "id": ids["A-1"], "CS_Health_Score__c": 80},
        {"attributes": {"type": "Account"}, "id": ids["A-2"], "CS_Lifecycle_Stage__c": "expansion"},
    ], all_or_none=True)
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert sandbox.salesforce.record_by("Account", "AccountNumber", "A-1")["CS_Health_Score__c"] is None


def test_collections_update_rejects_more_than_200_records(sf, sandbox):
    ids = account_ids(sf)
    records = [{"attributes": {"type": "Account"}, "id": ids["A-1"], "CS_Health_Score__c": 1}] * 201
    with pytest.raises(SalesforceMalformedRequest) as too_many:
        update(sf, records)
    assert too_many.value.status == 400
    assert too_many.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert sandbox.salesforce.record_by("Account", "AccountNumber", "A-1")["CS_Health_Score__c"] is None
    assert len(update(sf, records[:200])) == 200


def test_salesforce_rejects_a_bad_token_and_reports_api_usage(sandbox, sf):
    intruder = Salesforce(instance_url=sandbox.env["SALESFORCE_INSTANCE_URL"], session_id="not-the-token")
    with pytest.raises(SalesforceExpiredSession) as denied:
        intruder.query("SELECT Id FROM Account")
    assert denied.value.status == 401
    assert denied.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    sf.query("SELECT Id FROM Account")
    usage = sf.api_usage["api-usage"]
    assert (usage.used, usage.total) == (2, 15000)  # the rejected call counted too


def test_oauth_password_grant_returns_the_session(sandbox):
    creds = sandbox.salesforce.credentials
    url = sandbox.env["SALESFORCE_INSTANCE_URL"] + "/services/oauth2/token"
    ok = requests.post(url, data={"grant_type": "password", **creds}, timeout=10)
    assert ok.status_code == 200
    body = ok.json()
    assert (body["access_token"], body["instance_url"], body["token_type"]) == (
        sandbox.env["SALESFORCE_ACCESS_TOKEN"], sandbox.env["SALESFORCE_INSTANCE_URL"], "Bearer")
    bad = requests.post(url, data={"grant_type": "password", **creds, "password": "wrong"}, timeout=10)
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")


# --- HubSpot ----------------------------------------------------------------------------

def all_pages(fetch, **kwargs):
    pages, after = [], None
    while True:
        page = fetch(after=after, **kwargs) if after else fetch(**kwargs)
        pages.append(page.results)
        if page.paging is None:
            return pages
        after = page.paging.next.after


def create_cs_properties(hs):
    hs.crm.properties.groups_api.create("companies", PropertyGroupCreate(name="cs360", label="CS360"))
    for name, kind, field_type, options in [
        ("cs_health_score", "number", "number", None),
        ("cs_health_band", "enumeration", "select",
         [{"label": v.title(), "value": v, "displayOrder": i, "hidden": False} for i, v in enumerate(["red", "yellow", "green"])]),
        ("cs_health_reasons", "string", "textarea", None),
        ("cs_score_updated_at", "datetime", "date", None),
    ]:
        hs.crm.properties.core_api.create("companies", PropertyCreate(
            name=name, label=name, type=kind, field_type=field_type, group_name="cs360", options=options))


def test_get_page_pages_with_after(hs, sandbox):
    pages = all_pages(hs.crm.contacts.basic_api.get_page, limit=2,
                      properties=["email", "jobtitle", "associatedcompanyid"])
    assert [len(p) for p in pages] == [2, 1]
    contacts = [c for p in pages for c in p]
    assert sorted(c.properties["email"] for c in contacts) == [
        "albert@umbrella.example", "alice@umbrella.example", "gavin@hooli.example"]
    assert set(contacts[0].properties) == {"email", "jobtitle", "associatedcompanyid", "createdate",
                                           "lastmodifieddate", "hs_object_id"}
    assert all(c.properties["hs_object_id"] == c.id and c.id.isdigit() for c in contacts)

    companies = [c for p in all_pages(hs.crm.companies.basic_api.get_page, limit=1) for c in p]
    assert len(companies) == 2
    assert set(companies[0].properties) == {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"}
    link = next(e for e in sandbox.request_log.entries("hubspot") if "after=" in e["query"])
    assert link["status"] == 200


def test_companies_carry_customer_id_status_and_owner(hs):
    owners = hs.crm.owners.owners_api.get_page().results
    assert [(o.email, o.first_name, o.last_name, o.archived) for o in owners] == [
        ("carol.white@cs.example", "Carol", "White", False)]
    props = ["name", "customer_id", "customer_status", "hubspot_owner_id", "industry", "numberofemployees",
             "lifecyclestage", "country"]
    companies = hs.crm.companies.basic_api.get_page(limit=100, properties=props).results
    by_customer = {c.properties["customer_id"]: c.properties for c in companies}
    assert {k: (v["name"], v["customer_status"], v["industry"], v["numberofemployees"], v["country"])
            for k, v in by_customer.items()} == {
        "A-4": ("Umbrella", "active", "HEALTHCARE", "5000", "GB"),
        "A-5": ("Hooli", "churned", "SOFTWARE", "40", "US")}
    assert {v["hubspot_owner_id"] for v in by_customer.values()} == {owners[0].id}


def test_deals_come_with_company_associations(hs):
    deals = hs.crm.deals.basic_api.get_page(
        limit=100, associations=["companies"],
        properties=["dealname", "dealstage", "dealtype", "amount", "mrr", "seats", "plan",
                    "contract_start_date", "contract_end_date"]).results
    assert len(deals) == 4
    assert Counter(d.properties["dealstage"] for d in deals) == {"closedwon": 3, "closedlost": 1}
    assert all(len(d.associations["companies"].results) == 1 and
               d.associations["companies"].results[0].type == "deal_to_company" for d in deals)
    renewal = next(d for d in deals if d.properties["contract_start_date"] == "2026-02-01")
    assert {k: renewal.properties[k] for k in ("dealname", "dealtype", "amount", "mrr", "seats", "plan",
                                               "contract_end_date")} == {
        "dealname": "Umbrella - Renewal 2026-02", "dealtype": "existingbusiness", "amount": "25200",
        "mrr": "2100", "seats": "55", "plan": "pro", "contract_end_date": "2027-02-01"}


def test_search_filters_on_last_modified(hs):
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                     "value": "2025-06-01T00:00:00Z"}]}],
        sorts=["hs_lastmodifieddate"], properties=["dealname"], limit=1)
    first = hs.crm.deals.search_api.do_search(public_object_search_request=request)
    assert first.total == 2 and first.paging.next.after == "1"
    request.after = "1"
    second = hs.crm.deals.search_api.do_search(public_object_search_request=request)
    assert [first.results[0].properties["dealname"], second.results[0].properties["dealname"]] == [
        "Hooli - Renewal 2025-09", "Umbrella - Renewal 2026-02"]
    as_millis = PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": "1748736000000"}]}])
    assert hs.crm.deals.search_api.do_search(public_object_search_request=as_millis).total == 2


def test_cs_properties_are_created_once(hs):
    with pytest.raises(PropertiesApiException) as absent:
        hs.crm.properties.core_api.get_by_name("companies", "cs_health_score")
    assert absent.value.status == 404
    with pytest.raises(PropertiesApiException) as no_group:
        hs.crm.properties.core_api.create("companies", PropertyCreate(
            name="cs_health_score", label="Health", type="number", field_type="number", group_name="cs360"))
    assert no_group.value.status == 400
    create_cs_properties(hs)
    created = hs.crm.properties.core_api.get_by_name("companies", "cs_health_score")
    assert (created.group_name, created.type, created.field_type, created.hubspot_defined) == (
        "cs360", "number", "number", False)
    assert "cs360" in [g.name for g in hs.crm.properties.groups_api.get_all("companies").results]
    with pytest.raises(PropertiesApiException) as duplicate:
        hs.crm.properties.core_api.create("companies", PropertyCreate(
            name="cs_health_score", label="Health", type="number", field_type="number", group_name="cs360"))
    assert duplicate.value.status == 409
    assert json.loads(duplicate.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    with pytest.raises(PropertiesApiException) as duplicate_group:
        hs.crm.properties.groups_api.create("companies", PropertyGroupCreate(name="cs360", label="CS360"))
    assert duplicate_group.value.status == 409


def company_ids(sandbox) -> dict[str, str]:
    return {c["properties"]["customer_id"]: c["id"] for c in sandbox.hubspot.objects("companies")}


def batch(inputs):
    return BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties=p) for i, p in inputs])


def test_batch_update_with_string_values(hs, sandbox):
    create_cs_properties(hs)
    ids = company_ids(sandbox)
    before = sandbox.hubspot.object_by("companies", "customer_id", "A-4")
    result = hs.crm.companies.batch_api.update(batch([
        (ids["A-4"], {"cs_health_score": "71.5", "cs_health_band": "green",
                      "cs_score_updated_at": "2026-03-04T06:00:00Z"}),
        (ids["A-5"], {"cs_health_score": "12", "cs_health_band": "red", "cs_health_reasons": "no logins"}),
    ]))
    assert isinstance(result, BatchResponseSimplePublicObject)
    assert result.status == "COMPLETE" and sorted(r.id for r in result.results) == sorted(ids.values())
    after = sandbox.hubspot.object_by("companies", "customer_id", "A-4")
    assert {k: after["properties"][k] for k in ("cs_health_score", "cs_health_band", "cs_score_updated_at")} == {
        "cs_health_score": "71.5", "cs_health_band": "green", "cs_score_updated_at": "2026-03-04T06:00:00.000Z"}
    assert after["updatedAt"] > before["updatedAt"]
    assert after["properties"]["hs_lastmodifieddate"] == after["updatedAt"]
    read = hs.crm.companies.basic_api.get_page(properties=["cs_health_band"]).results
    assert sorted(c.properties["cs_health_band"] for c in read) == ["green", "red"]


def test_batch_update_rejects_non_strings_and_unknown_properties(hs, sandbox):
    create_cs_properties(hs)
    ids = company_ids(sandbox)
    with pytest.raises(CompaniesApiException) as number:
        hs.crm.companies.batch_api.update(batch([(ids["A-4"], {"cs_health_score": 71.5})]))
    assert number.value.status == 400
    assert json.loads(number.value.body)["category"] == "VALIDATION_ERROR"
    with pytest.raises(CompaniesApiException) as unknown:
        hs.crm.companies.batch_api.update(batch([(ids["A-4"], {"cs_health_scor": "71.5"})]))
    body = json.loads(unknown.value.body)
    assert unknown.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: ")
    assert json.loads(body["message"].split(": ", 1)[1])[0]["error"] == "PROPERTY_DOESNT_EXIST"
    with pytest.raises(CompaniesApiException) as option:
        hs.crm.companies.batch_api.update(batch([(ids["A-4"], {"cs_health_band": "purple"})]))
    assert json.loads(json.loads(option.value.body)["message"].split(": ", 1)[1])[0]["error"] == "INVALID_OPTION"
    assert sandbox.hubspot.object_by("companies", "customer_id", "A-4")["properties"].get("cs_health_score") is None


def test_batch_update_with_unknown_id_is_multi_status(hs, sandbox):
    create_cs_properties(hs)
    ids = company_ids(sandbox)
    result = hs.crm.companies.batch_api.update(batch([(ids["A-4"], {"cs_health_score": "55"}),
                                                      ("123", {"cs_health_score": "1"})]))
    assert isinstance(result, BatchResponseSimplePublicObjectWithErrors)
    assert (result.status, result.num_errors, [r.id for r in result.results]) == ("COMPLETE", 1, [ids["A-4"]])
    assert (result.errors[0].category, result.errors[0].context) == ("OBJECT_NOT_FOUND", {"ids": ["123"]})
    assert sandbox.hubspot.object_by("companies", "customer_id", "A-4")["properties"]["cs_health_score"] == "55"
    assert sandbox.request_log.entries("hubspot")[-1]["status"] == 207


def test_batch_read_and_archive(hs, sandbox):
    ids = company_ids(sandbox)
    read = hs.crm.companies.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=ids["A-4"]), SimplePublicObjectId(id="999")],
        properties=["customer_id"], properties_with_history=[]))
    assert isinstance(read, BatchResponseSimplePublicObjectWithErrors)
    assert [r.properties["customer_id"] for r in read.results] == ["A-4"]
    assert read.errors[0].context == {"ids": ["999"]}
    by_customer_id = hs.crm.companies.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id="A-5")], id_property="customer_id", properties=["name"],
        properties_with_history=[]))
    assert [r.id for r in by_customer_id.results] == [ids["A-5"]]

    hs.crm.companies.basic_api.archive(ids["A-5"])
    assert [c.id for c in hs.crm.companies.basic_api.get_page().results] == [ids["A-4"]]
    archived = hs.crm.companies.basic_api.get_page(archived=True).results
    assert [(c.id, c.archived) for c in archived] == [(ids["A-5"], True)]
    with pytest.raises(CompaniesApiException) as gone:
        hs.crm.companies.basic_api.get_by_id(ids["A-5"])
    assert gone.value.status == 404


def test_batch_update_rejects_more_than_100_inputs(hs, sandbox):
    create_cs_properties(hs)
    inputs = [(str(10**9 + n), {"cs_health_score": "1"}) for n in range(101)]
    with pytest.raises(CompaniesApiException) as too_many:
        hs.crm.companies.batch_api.update(batch(inputs))
    assert too_many.value.status == 400
    assert json.loads(too_many.value.body)["category"] == "VALIDATION_ERROR"


def test_hubspot_rejects_a_bad_token(sandbox):
    intruder = HubSpot(access_token="not-the-token", host=sandbox.env["HUBSPOT_BASE_URL"])
    with pytest.raises(CompaniesApiException) as denied:
        intruder.crm.companies.basic_api.get_page()
    assert denied.value.status == 401
    body = json.loads(denied.value.body)
    assert (body["status"], body["category"]) == ("error", "INVALID_AUTHENTICATION")
    assert body["message"].startswith("Authentication credentials not found")


def test_request_log_records_calls_without_secrets(hs, sf, sandbox):
    sandbox.request_log.clear()
    hs.crm.companies.basic_api.get_page(limit=5, properties=["name"])
    sf.query("SELECT Id FROM User")
    entries = sandbox.request_log.entries()
    assert [(e["vendor"], e["method"], e["path"], e["status"]) for e in entries] == [
        ("hubspot", "GET", "/crm/v3/objects/companies", 200),
        ("salesforce", "GET", "/services/data/v59.0/query/", 200)]
    assert entries[0]["query"] == "limit=5&properties=name"
    logged = json.dumps(entries) + (sandbox.state_dir / "requests.jsonl").read_text()
    assert sandbox.env["HUBSPOT_ACCESS_TOKEN"] not in logged
    assert sandbox.env["SALESFORCE_ACCESS_TOKEN"] not in logged
    assert len((sandbox.state_dir / "requests.jsonl").read_text().splitlines()) == 2


def test_serve_forever_prints_exports_and_stops_on_ctrl_c(world, tmp_path):
    code = ("import sys; from sandbox.doubles.server import serve_forever; "
            f"serve_forever(sys.argv[1], sys.argv[2], ports={{s: 0 for s in {SYSTEMS!r}}})")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", code, str(world), str(tmp_path / "state")], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)}, preexec_fn=default_signals)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(len(ENV_KEYS))]
        env = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert list(env) == ENV_KEYS
        reply = requests.get(env["HUBSPOT_BASE_URL"] + "/crm/v3/owners",
                             headers={"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}"}, timeout=10)
        assert reply.status_code == 200 and len(reply.json()["results"]) == 1
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=30) == 0
        finally:
            proc.kill()  # no-op once it has exited; never leaves a sandbox serving after a failure


def test_generated_world_is_served(tmp_path, monkeypatch):
    generator = pytest.importorskip("sandbox.world.generator")
    from sandbox.world.format import read_table

    world = tmp_path / "world"
    generator.generate_world(world, size="XS", seed=42)
    from sandbox.doubles.crm_world import kept_in_both, salesforce_lacks_number

    accounts = read_table(world, "accounts")
    both = accounts["account_id"].map(kept_in_both)
    with Sandbox(world, tmp_path / "state") as sb:
        # each CRM holds its own accounts plus copies of a deterministic tenth of the other's
        assert len(sb.salesforce.records("Account")) == int((accounts["crm"] == "salesforce").sum()) + int(
            (both & (accounts["crm"] == "hubspot")).sum())
        assert len(sb.hubspot.objects("companies")) == int((accounts["crm"] == "hubspot").sum()) + int(
            (both & (accounts["crm"] == "salesforce")).sum())
        numbers = [r["AccountNumber"] for r in sb.salesforce.records("Account")]
        customer_ids = [c["properties"]["customer_id"] for c in sb.hubspot.objects("companies")]
        # HubSpot always has the customer number; Salesforce lacks it for half of those in both
        unnumbered = accounts["account_id"].map(salesforce_lacks_number)
        assert customer_ids.count(None) == 0 and numbers.count(None) == int(unnumbered.sum()) > 0
        assert sorted(set(numbers) & set(customer_ids)) == sorted(accounts["account_id"][both & ~unnumbered])
        # contracts live only in the account's own CRM: none is counted twice
        assert len(sb.salesforce.records("Contract")) + len(sb.hubspot.objects("deals")) >= len(read_table(world, "contracts"))
        assert len(sb.salesforce.records("Contract")) == int(read_table(world, "contracts")["account_id"].isin(
            accounts["account_id"][accounts["crm"] == "salesforce"]).sum())
