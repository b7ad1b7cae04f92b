"""Salesforce and HubSpot double additions, through simple-salesforce and hubspot-api-client:
username-password logins, Bulk API 2.0, API limits, lock and per-record failures, HubSpot
search on hs_lastmodifieddate, batch upsert, 429 policies, 423 and 207."""

from __future__ import annotations

import csv
import io
import json

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.companies import ApiException as CompaniesApiException
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInputUpsert, BatchResponseSimplePublicUpsertObject,
    BatchResponseSimplePublicUpsertObjectWithErrors, PublicObjectSearchRequest, SimplePublicObjectBatchInputUpsert,
)
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed, SalesforceGeneralError, SalesforceMalformedRequest, SalesforceOperationError,
    SalesforceRefusedRequest,
)

from pipelines.credentials import SalesforceSettings
from pipelines.salesforce.client import salesforce_client
from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.server import Sandbox
from test_doubles import account_ids, batch, company_ids, create_cs_properties, update, write_tiny_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_tiny_world(tmp_path_factory.mktemp("crm-world"))


@pytest.fixture
def sandbox(world, tmp_path, monkeypatch):
    with Sandbox(world, tmp_path / "state", faults=FaultPlan(seed=1)) as sb:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", sb.env["REQUESTS_CA_BUNDLE"])
        yield sb


@pytest.fixture
def sf(sandbox) -> Salesforce:
    env = sandbox.env
    return Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"], session_id=env["SALESFORCE_ACCESS_TOKEN"],
                      version="62.0")


@pytest.fixture
def hs(sandbox) -> HubSpot:
    return HubSpot(access_token=sandbox.env["HUBSPOT_ACCESS_TOKEN"], host=sandbox.env["HUBSPOT_BASE_URL"])


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# --- Salesforce logins ------------------------------------------------------------------

def test_username_password_login_through_simple_salesforce(sandbox):
    login = sandbox.salesforce_login
    assert login["SALESFORCE_DOMAIN"].endswith("/login")
    settings = SalesforceSettings(username=login["SALESFORCE_USERNAME"], password=login["SALESFORCE_PASSWORD"],
                                  security_token=login["SALESFORCE_SECURITY_TOKEN"],
                                  domain=login["SALESFORCE_DOMAIN"])
    client = salesforce_client(settings)  # the project's own client, SOAP login path
    assert client.session_id == sandbox.env["SALESFORCE_ACCESS_TOKEN"]
    assert f"https://{client.sf_instance}" == sandbox.env["SALESFORCE_INSTANCE_URL"]
    assert client.query("SELECT COUNT() FROM Account")["totalSize"] == 3
    soap = sandbox.request_log.entries("salesforce")[0]
    assert (soap["method"], soap["path"], soap["status"], soap["body"]) == (
        "POST", "/login.salesforce.com/services/Soap/u/62.0", 200, None)  # the password is never logged

    with pytest.raises(SalesforceAuthenticationFailed) as denied:
        Salesforce(username=login["SALESFORCE_USERNAME"], password=login["SALESFORCE_PASSWORD"],
                   security_token="wrong", domain=login["SALESFORCE_DOMAIN"])
    assert denied.value.code == "INVALID_LOGIN"


def test_oauth_password_flow_through_simple_salesforce(sandbox):
    creds, login = sandbox.salesforce.credentials, sandbox.salesforce_login
    client = Salesforce(username=creds["username"], password=creds["password"], consumer_key=creds["client_id"],
                        consumer_secret=creds["client_secret"], domain=login["SALESFORCE_DOMAIN"])
    assert client.session_id == sandbox.env["SALESFORCE_ACCESS_TOKEN"]
    assert client.query("SELECT COUNT() FROM Contact")["totalSize"] == 4
    with pytest.raises(SalesforceAuthenticationFailed) as denied:
        Salesforce(username=creds["username"], password="nope", consumer_key=creds["client_id"],
                   consumer_secret=creds["client_secret"], domain=login["SALESFORCE_DOMAIN"])
    assert denied.value.code == "invalid_grant"


# --- Bulk API 2.0 -----------------------------------------------------------------------

def test_bulk2_update_reports_successes_and_failures(sf, sandbox):
    ids = account_ids(sf)
    sandbox.salesforce._apply("Account", ids["A-3"], {"CS_Health_Reasons__c": "old reason"})
    result = sf.bulk2.Account.update(records=[
        {"Id": ids["A-1"], "CS_Health_Score__c": "71.5", "CS_Health_Band__c": "green", "CS_Health_Reasons__c": ""},
        {"Id": ids["A-2"], "CS_Health_Score__c": "abc", "CS_Health_Band__c": "red", "CS_Health_Reasons__c": ""},
        {"Id": ids["A-3"], "CS_Health_Score__c": "12", "CS_Health_Band__c": "purple", "CS_Health_Reasons__c": ""},
        {"Id": ids["A-3"][:15], "CS_Health_Score__c": "", "CS_Health_Band__c": "red", "CS_Health_Reasons__c": "#N/A"},
    ], wait=0.05)
    job_id = result[0]["job_id"]
    assert result == [{"numberRecordsFailed": 2, "numberRecordsProcessed": 4, "numberRecordsTotal": 4,
                       "job_id": job_id}]
    assert job_id.startswith("750") and len(job_id) == 18
    ok = rows(sf.bulk2.Account.get_successful_records(job_id))
    assert [(r["sf__Id"], r["sf__Created"], r["CS_Health_Band__c"]) for r in ok] == [
        (ids["A-1"], "false", "green"), (ids["A-3"], "false", "red")]
    failed = rows(sf.bulk2.Account.get_failed_records(job_id))
    assert [(r["sf__Id"], r["sf__Error"]) for r in failed] == [
        (ids["A-2"], "INVALID_FIELD:Failed to deserialize field at col "
                     f"{list(failed[0]).index('CS_Health_Score__c') - 1}. Due to, 'abc' is not a valid value for "
                     "the type xsd:double:CS_Health_Score__c --"),
        (ids["A-3"], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Health Band: bad value for restricted picklist "
                     "field: purple:CS_Health_Band__c --")]
    a1 = sandbox.salesforce.record_by("Account", "AccountNumber", "A-1")
    a3 = sandbox.salesforce.record_by("Account", "AccountNumber", "A-3")
    assert (a1["CS_Health_Score__c"], a1["CS_Health_Band__c"]) == (71.5, "green")
    # an empty cell leaves a field alone, #N/A clears it
    assert (a3["CS_Health_Score__c"], a3["CS_Health_Band__c"], a3["CS_Health_Reasons__c"]) == (None, "red", None)
    assert sandbox.salesforce.record_by("Account", "AccountNumber", "A-2")["CS_Health_Band__c"] is None

    calls = [(e["method"], e["path"].split(job_id)[-1], e["status"]) for e in sandbox.request_log.entries("salesforce")
             if "/jobs/ingest" in e["path"]]
    assert calls[:3] == [("POST", "/services/data/v62.0/jobs/ingest", 200), ("PUT", "/batches", 201),
                         ("PATCH", "", 200)]
    polls = [c for c in calls if c[0] == "GET" and c[1] == ""]
    assert len(polls) >= 2  # InProgress first, then JobComplete
    upload = next(e for e in sandbox.request_log.entries("salesforce") if e["method"] == "PUT")
    assert len(rows(upload["body"])) == 4  # the CSV the client sent, as text


def test_bulk2_job_lifecycle_over_rest(sf, sandbox):
    ids = account_ids(sf)
    base = f"{sf.base_url}jobs/ingest"
    headers = {"Authorization": f"Bearer {sandbox.env['SALESFORCE_ACCESS_TOKEN']}"}
    job = requests.post(base, json={"object": "Account", "operation": "update", "lineEnding": "LF"},
                        headers=headers, timeout=10).json()
    assert (job["state"], job["contentType"], job["object"], job["operation"]) == ("Open", "CSV", "Account", "update")
    early = requests.get(f"{base}/{job['id']}/successfulResults", headers=headers, timeout=10)
    assert (early.status_code, early.json()[0]["errorCode"]) == (400, "INVALIDJOBSTATE")
    csv_body = f"Id,CS_Lifecycle_Stage__c\n{ids['A-2']},adoption\n"
    put = requests.put(f"{base}/{job['id']}/batches", data=csv_body, timeout=10,
                       headers={**headers, "Content-Type": "text/csv"})
    assert put.status_code == 201
    again = requests.put(f"{base}/{job['id']}/batches", data=csv_body, timeout=10,
                         headers={**headers, "Content-Type": "text/csv"})
    assert again.status_code == 400 and "Found multiple contents for job" in again.json()[0]["message"]
    closed = requests.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"}, headers=headers, timeout=10)
    assert closed.json()["state"] == "UploadComplete"
    states = [requests.get(f"{base}/{job['id']}", headers=headers, timeout=10).json() for _ in range(3)]
    assert [s["state"] for s in states] == ["InProgress", "JobComplete", "JobComplete"]
    assert (states[-1]["numberRecordsProcessed"], states[-1]["numberRecordsFailed"]) == (1, 0)
    assert sandbox.salesforce.record_by("Account", "Id", ids["A-2"])["CS_Lifecycle_Stage__c"] == "adoption"
    assert requests.delete(f"{base}/{job['id']}", headers=headers, timeout=10).status_code == 204


def test_bulk2_rejects_bad_jobs_and_fails_unknown_columns(sf, sandbox):
    base = f"{sf.base_url}jobs/ingest"
    headers = {"Authorization": f"Bearer {sandbox.env['SALESFORCE_ACCESS_TOKEN']}"}
    for body, code in [({"object": "Lead", "operation": "update"}, "INVALIDENTITY"),
                       ({"object": "Account", "operation": "merge"}, "INVALIDJOB"),
                       ({"object": "Account", "operation": "upsert", "externalIdFieldName": "AccountNumber"},
                        "INVALIDJOB"),
                       ({"object": "Account", "operation": "update", "lineEnding": "CR"}, "INVALIDJOB")]:
        reply = requests.post(base, json=body, headers=headers, timeout=10)
        assert (reply.status_code, reply.json()[0]["errorCode"]) == (400, code), body
    ids = account_ids(sf)
    with pytest.raises(SalesforceOperationError) as failed:
        sf.bulk2.Account.update(records=[{"Id": ids["A-1"], "CS_Nope__c": "1"}], wait=0.05)
    assert "InvalidBatch : Field name not found : CS_Nope__c" in str(failed.value)
    upserted = sf.bulk2.Account.upsert(records=[{"Id": ids["A-1"], "CS_Churn_Risk__c": "0.2"}],
                                       external_id_field="Id", wait=0.05)
    assert (upserted[0]["numberRecordsProcessed"], upserted[0]["numberRecordsFailed"]) == (1, 0)


def test_bulk2_lock_errors_fail_the_chosen_rows(sf, sandbox):
    ids = account_ids(sf)
    sandbox.faults.add("salesforce", r"/jobs/ingest/[^/]+$", "lock", method="PATCH", records=(1,))
    result = sf.bulk2.Account.update(records=[{"Id": ids[a], "CS_Health_Score__c": "5"} for a in ("A-1", "A-2")],
                                     wait=0.05)
    failed = rows(sf.bulk2.Account.get_failed_records(result[0]["job_id"]))
    assert [(r["sf__Id"], r["sf__Error"]) for r in failed] == [
        (ids["A-2"], f"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: {ids['A-2']}:--")]
    assert sandbox.salesforce.record_by("Account", "Id", ids["A-2"])["CS_Health_Score__c"] is None


# --- Salesforce REST faults and limits --------------------------------------------------

def test_collections_lock_and_injected_failures_are_per_record(sf, sandbox):
    ids = account_ids(sf)
    sandbox.faults.add("salesforce", r"/composite/sobjects", "lock", records=(0,), first=1)
    sandbox.faults.add("salesforce", r"/composite/sobjects", "record_failure", records=(2,), first=1,
                       code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Score must be set by the CS team")
    records = [{"attributes": {"type": "Account"}, "id": ids[a], "CS_Health_Score__c": 60} for a in ("A-1", "A-2", "A-3")]
    first = update(sf, records)
    assert [(r["success"], r["errors"][0]["statusCode"] if r["errors"] else None) for r in first] == [
        (False, "UNABLE_TO_LOCK_ROW"), (True, None), (False, "FIELD_CUSTOM_VALIDATION_EXCEPTION")]
    assert first[2]["errors"][0]["message"] == "Score must be set by the CS team"
    assert [r["success"] for r in update(sf, records)] == [True, True, True]  # the retry goes through

    sandbox.faults.add("salesforce", r"/sobjects/Account/", "lock", method="PATCH", first=1)
    with pytest.raises(SalesforceMalformedRequest) as locked:
        sf.Account.update(ids["A-1"], {"CS_Health_Band__c": "red"})
    assert locked.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert sf.Account.update(ids["A-1"], {"CS_Health_Band__c": "red"}) == 204


def test_request_limit_exceeded_and_server_errors(sf, sandbox):
    sandbox.faults.add("salesforce", r"/query", "rate_limit", first=1)
    with pytest.raises(SalesforceRefusedRequest) as throttled:
        sf.query("SELECT Id FROM Account")
    assert throttled.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    sandbox.faults.add("salesforce", r"/query", "server_error", status=503, first=1)
    with pytest.raises(SalesforceGeneralError) as unavailable:
        sf.query("SELECT Id FROM Account")
    assert unavailable.value.status == 503 and unavailable.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"

    sandbox.salesforce.daily_api_limit = sandbox.salesforce.api_calls + 1
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == sf.api_usage["api-usage"].total == sandbox.salesforce.daily_api_limit
    with pytest.raises(SalesforceRefusedRequest) as exhausted:
        sf.query("SELECT Id FROM Account")
    assert exhausted.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


# --- HubSpot ----------------------------------------------------------------------------

def search(hs, filters, **options):
    return hs.crm.deals.search_api.do_search(public_object_search_request=PublicObjectSearchRequest(
        filter_groups=[{"filters": filters}], **options))


def test_search_on_last_modified_with_sorts_and_paging(hs, sandbox):
    gt = search(hs, [{"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": "2025-02-01T00:00:00Z"}],
                sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
                properties=["dealname"], limit=2)
    assert gt.total == 3 and gt.paging.next.after == "2"
    rest = search(hs, [{"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": "2025-02-01T00:00:00Z"}],
                  sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
                  properties=["dealname"], limit=2, after="2")
    assert [d.properties["dealname"] for d in gt.results + rest.results] == [
        "Umbrella - Renewal 2026-02", "Hooli - Renewal 2025-09", "Umbrella - New Business 2025-02"]
    assert rest.paging is None
    window = search(hs, [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "2025-02-01T00:00:00Z"},
                         {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": "2026-01-01T00:00:00Z"}])
    assert window.total == 2

    # a company written by the sync shows up in the next incremental search
    create_cs_properties(hs)
    ids = company_ids(sandbox)
    last = max(c["properties"]["hs_lastmodifieddate"] for c in sandbox.hubspot.objects("companies"))
    hs.crm.companies.batch_api.update(batch([(ids["A-5"], {"cs_health_score": "10"})]))
    changed = hs.crm.companies.search_api.do_search(public_object_search_request=PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": last}]}]))
    assert [c.id for c in changed.results] == [ids["A-5"]]


def test_search_stops_at_ten_thousand_results(hs):
    with pytest.raises(Exception) as beyond:
        search(hs, [], limit=200, after="9900")
    assert beyond.value.status == 400 and "10000" in json.loads(beyond.value.body)["message"]
    with pytest.raises(Exception) as too_big:
        search(hs, [], limit=201)
    assert too_big.value.status == 400


def listed_company_ids(hs, limit: int) -> list[str]:
    """Every live company id, paged through `after` with `limit` per page."""
    ids, after = [], None
    while True:
        page = hs.crm.companies.basic_api.get_page(limit=limit, after=after)
        ids += [company.id for company in page.results]
        if page.paging is None or page.paging.next is None:
            return ids
        after = page.paging.next.after


def test_listing_pages_in_id_order_and_sees_created_and_archived_companies(hs, sandbox):
    create_cs_properties(hs)
    before = listed_company_ids(hs, limit=1)
    assert before == [c["id"] for c in sandbox.hubspot.objects("companies")] and len(before) >= 2
    assert before == sorted(before, key=int)

    created = hs.crm.companies.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="A-9", id_property="customer_id", properties={"name": "Newco"}),
    ])).results[0].id
    sandbox.hubspot.archive("companies", before[1])

    assert listed_company_ids(hs, limit=1) == sorted([before[0], *before[2:], created], key=int)


def test_batch_upsert_by_customer_id(hs, sandbox):
    create_cs_properties(hs)
    ids = company_ids(sandbox)
    result = hs.crm.companies.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="A-4", id_property="customer_id", properties={"cs_health_score": "80"}),
        SimplePublicObjectBatchInputUpsert(id="A-9", id_property="customer_id",
                                           properties={"name": "Newco", "cs_health_band": "green"}),
    ]))
    assert isinstance(result, BatchResponseSimplePublicUpsertObject)
    by_customer = {r.properties["customer_id"]: r for r in result.results}
    assert (by_customer["A-4"].id, by_customer["A-4"].new) == (ids["A-4"], False)
    assert by_customer["A-9"].new is True and by_customer["A-9"].id.isdigit()
    created = sandbox.hubspot.object_by("companies", "customer_id", "A-9")
    assert {k: created["properties"][k] for k in ("name", "cs_health_band", "hs_object_id")} == {
        "name": "Newco", "cs_health_band": "green", "hs_object_id": by_customer["A-9"].id}
    assert sandbox.hubspot.object_by("companies", "customer_id", "A-4")["properties"]["cs_health_score"] == "80"

    sandbox.faults.add("hubspot", r"/batch/upsert", "record_failure", records=(1,), first=1)
    partial = hs.crm.companies.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="A-4", id_property="customer_id", properties={"cs_health_score": "81"}),
        SimplePublicObjectBatchInputUpsert(id="A-5", id_property="customer_id", properties={"cs_health_score": "9"}),
    ]))
    assert isinstance(partial, BatchResponseSimplePublicUpsertObjectWithErrors)
    assert (partial.num_errors, [r.id for r in partial.results]) == (1, [ids["A-4"]])
    assert (partial.errors[0].category, partial.errors[0].context) == ("VALIDATION_ERROR", {"ids": ["A-5"]})
    with pytest.raises(CompaniesApiException) as unknown:
        hs.crm.companies.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
            SimplePublicObjectBatchInputUpsert(id="A-4", id_property="name", properties={"cs_health_score": "1"})]))
    assert unknown.value.status == 400  # name is not a unique property


def test_batch_update_207_for_injected_record_failures(hs, sandbox):
    create_cs_properties(hs)
    ids = company_ids(sandbox)
    sandbox.faults.add("hubspot", r"/batch/update", "record_failure", records=(0,), first=1, code="CONFLICT",
                       message="Concurrent modification")
    result = hs.crm.companies.batch_api.update(batch([(ids["A-4"], {"cs_health_score": "1"}),
                                                      (ids["A-5"], {"cs_health_score": "2"})]))
    assert [r.id for r in result.results] == [ids["A-5"]]
    assert [(e.category, e.message, e.context) for e in result.errors] == [
        ("CONFLICT", "Concurrent modification", {"ids": [ids["A-4"]]})]
    assert sandbox.request_log.entries("hubspot")[-1]["status"] == 207


def test_hubspot_429_policies_and_423_locks(hs, sandbox):
    env = sandbox.env
    headers = {"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}"}
    sandbox.faults.add("hubspot", r"/objects/companies$", "rate_limit", first=1, retry_after=1)
    throttled = requests.get(env["HUBSPOT_BASE_URL"] + "/crm/v3/objects/companies", headers=headers, timeout=10)
    body = throttled.json()
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1")
    assert {k: body[k] for k in ("status", "message", "errorType", "policyName")} == {
        "status": "error", "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
    assert throttled.headers["X-HubSpot-RateLimit-Remaining"] == "0"

    # under hubspot-api-client, urllib3 retries a 429 that carries Retry-After (up to 3 times)
    sandbox.request_log.clear()
    sandbox.faults.add("hubspot", r"/objects/companies$", "rate_limit", first=2, retry_after=1)
    assert len(hs.crm.companies.basic_api.get_page().results) == 2
    assert [e["status"] for e in sandbox.request_log.entries("hubspot")] == [429, 429, 200]

    sandbox.faults.add("hubspot", r"/batch/update", "lock", first=1)
    locked = requests.post(env["HUBSPOT_BASE_URL"] + "/crm/v3/objects/companies/batch/update", headers=headers,
                           json={"inputs": []}, timeout=10)
    assert (locked.status_code, locked.json()["status"]) == (423, "error")

    sandbox.hubspot.daily_limit = sandbox.hubspot.api_calls
    daily = requests.get(env["HUBSPOT_BASE_URL"] + "/crm/v3/objects/companies", headers=headers, timeout=10)
    assert (daily.status_code, daily.json()["policyName"], daily.json()["message"]) == (
        429, "DAILY", "You have reached your daily limit.")
    assert daily.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_malformed_hubspot_record_in_a_list(hs, sandbox):
    sandbox.faults.add("hubspot", r"/objects/companies$", "malformed", field="properties.hs_lastmodifieddate",
                       value="yesterday", index=0, first=1)
    companies = hs.crm.companies.basic_api.get_page(properties=["name"]).results
    assert [c.properties["hs_lastmodifieddate"] for c in companies][0] == "yesterday"
    assert hs.crm.companies.basic_api.get_page(properties=["name"]).results[0].properties[
        "hs_lastmodifieddate"] != "yesterday"
