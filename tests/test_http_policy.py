"""One HTTP layer (`cs360_core.http`): each vendor's rules are the same for the reads of
ingest and the writes of reverse ETL, against the vendors' doubles through the real client
libraries (dlt's REST client session, simple-salesforce, hubspot-api-client)."""

from __future__ import annotations

import pytest

from cs360_core.http import (
    DEFAULT_RULES, HUBSPOT, SALESFORCE, RateLimitExhausted, RetryPolicy, Verdict, rules_for,
)
from pipelines.credentials import hubspot_settings, salesforce_settings
from pipelines.http import retrying_session
from pipelines.salesforce.client import API_VERSION, salesforce_client
from retry_support import fast_policy
from reverse_etl.hubspot import HubSpotWriter, hubspot_client
from reverse_etl.salesforce import SalesforceWriter
from test_ingest_support import requests_to, sandbox  # noqa: F401  (fixture)

DAILY = '{"status": "error", "message": "You have reached your daily limit.", "policyName": "DAILY"}'
LIMIT = '[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]'


@pytest.mark.parametrize(("rules", "status", "headers", "body", "verdict"), [
    (DEFAULT_RULES, 200, {}, "", Verdict.DONE),
    (DEFAULT_RULES, 404, {}, "", Verdict.DONE),
    (DEFAULT_RULES, 429, {}, "", Verdict.RETRY),
    (DEFAULT_RULES, 503, {}, "", Verdict.RETRY),
    (DEFAULT_RULES, 423, {}, "", Verdict.DONE),
    (HUBSPOT, 429, {}, '{"policyName": "TEN_SECONDLY_ROLLING"}', Verdict.RETRY),
    (HUBSPOT, 429, {}, DAILY, Verdict.STOP),
    (HUBSPOT, 423, {}, "", Verdict.RETRY),  # Locked: a record busy with a concurrent write
    (HUBSPOT, 400, {}, DAILY, Verdict.DONE),
    (SALESFORCE, 403, {"Retry-After": "2"}, LIMIT, Verdict.RETRY),
    (SALESFORCE, 403, {}, LIMIT, Verdict.STOP),
    (SALESFORCE, 403, {}, '[{"errorCode": "INSUFFICIENT_ACCESS"}]', Verdict.DONE),
    (SALESFORCE, 502, {}, "", Verdict.RETRY),
])
def test_each_vendor_has_one_rule_set(rules, status, headers, body, verdict):
    assert rules.verdict(status, headers, body) is verdict


def test_rules_are_looked_up_by_vendor_name():
    assert rules_for("hubspot") is HUBSPOT and rules_for("salesforce") is SALESFORCE
    assert rules_for("zendesk") is rules_for(None) is DEFAULT_RULES


def test_the_budget_is_dlts_runtime_configuration(monkeypatch):
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.5")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "20")
    policy = RetryPolicy.from_config()
    assert (policy.max_attempts, policy.base_delay, policy.max_delay) == (3, 0.5, 20.0)
    for name in ("RUNTIME__REQUEST_MAX_ATTEMPTS", "RUNTIME__REQUEST_BACKOFF_FACTOR", "RUNTIME__REQUEST_MAX_RETRY_DELAY"):
        monkeypatch.delenv(name)
    assert RetryPolicy.from_config().max_attempts == 10  # unconfigured: more than dlt's 5, for rate-limit storms


def test_a_session_gives_up_at_the_budget_and_hands_back_the_last_answer(sandbox):
    sandbox.faults.add("lms", "/courses", "server_error", status=503, first=10)
    waits = []
    session = RetryPolicy(max_attempts=3, jitter=0, sleep=waits.append).session()
    response = session.get(sandbox.env["LMS_BASE_URL"] + "/api/v1/courses",
                           headers={"Authorization": f"Bearer {sandbox.env['LMS_API_TOKEN']}"})
    assert response.status_code == 503
    assert len(requests_to(sandbox, "lms", "/courses")) == 3 and waits == [1.0, 2.0]


# --- HubSpot's daily limit: not waited out, reading or writing ---------------------------------

def test_a_hubspot_read_stops_at_the_daily_limit_after_one_request(sandbox):
    sandbox.faults.add("hubspot", "/owners", "rate_limit", first=5, policy="DAILY")
    settings = hubspot_settings()
    response = retrying_session("hubspot").get(settings.base_url + "/crm/v3/owners",
                                               headers={"Authorization": f"Bearer {settings.access_token}"})
    assert response.status_code == 429 and response.json()["policyName"] == "DAILY"
    assert len(requests_to(sandbox, "hubspot", "/owners")) == 1


def test_a_hubspot_write_stops_at_the_daily_limit_after_one_request(sandbox):
    sandbox.faults.add("hubspot", "/properties/", "rate_limit", first=5, policy="DAILY")
    policy = fast_policy()
    writer = HubSpotWriter(hubspot_client(hubspot_settings()), policy)
    with pytest.raises(RateLimitExhausted, match="daily limit"):
        writer.call(lambda: writer.client.crm.properties.core_api.get_all("companies"), "properties")
    assert writer.api_calls == 1 and policy.waits == []


def test_a_hubspot_window_limit_is_waited_out_reading_and_writing(sandbox):
    sandbox.faults.add("hubspot", "/owners", "rate_limit", first=1)
    sandbox.faults.add("hubspot", "/properties/", "rate_limit", first=1)
    settings = hubspot_settings()
    read_waits = []
    session = RetryPolicy(sleep=read_waits.append).session(HUBSPOT)
    response = session.get(settings.base_url + "/crm/v3/owners",
                           headers={"Authorization": f"Bearer {settings.access_token}"})
    assert response.status_code == 200
    policy = fast_policy()
    writer = HubSpotWriter(hubspot_client(settings), policy)
    writer.call(lambda: writer.client.crm.properties.core_api.get_all("companies"), "properties")
    assert read_waits == policy.waits == [10.0]  # X-HubSpot-RateLimit-Interval-Milliseconds: the 10 s window


# --- Salesforce's REQUEST_LIMIT_EXCEEDED: retried when Salesforce says when ---------------------

def _salesforce_writer(policy: RetryPolicy) -> SalesforceWriter:
    return SalesforceWriter(salesforce_client(salesforce_settings()), policy)


def test_a_salesforce_limit_with_retry_after_is_retried_reading_and_writing(sandbox):
    sandbox.faults.add("salesforce", "/sobjects/?$", "rate_limit", calls=(1, 3), retry_after=2)
    read_waits = []
    client = salesforce_client(salesforce_settings(), session=RetryPolicy(sleep=read_waits.append).session(SALESFORCE))
    assert "sobjects" in client.describe()
    policy = fast_policy()
    response = _salesforce_writer(policy).request("GET", "sobjects/")
    assert response.status_code == 200
    assert read_waits == policy.waits == [2.0]
    statuses = [e["status"] for e in requests_to(sandbox, "salesforce", f"/v{API_VERSION}/sobjects")]
    assert statuses == [403, 200, 403, 200]


def test_a_spent_salesforce_allowance_ends_reads_and_writes_at_once(sandbox):
    sandbox.faults.add("salesforce", "/sobjects/?$", "rate_limit", first=2)  # no Retry-After
    settings = salesforce_settings()
    session = RetryPolicy(sleep=lambda seconds: pytest.fail("waited")).session(SALESFORCE)
    response = session.get(f"{settings.instance_url}/services/data/v{API_VERSION}/sobjects/",
                           headers={"Authorization": f"Bearer {settings.access_token}"})
    assert response.status_code == 403 and response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    with pytest.raises(RateLimitExhausted, match="REQUEST_LIMIT_EXCEEDED"):
        _salesforce_writer(fast_policy()).request("GET", "sobjects/")
    assert len(requests_to(sandbox, "salesforce", f"/v{API_VERSION}/sobjects")) == 2
