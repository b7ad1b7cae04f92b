"""Reverse ETL pieces that need no vendor: values on the wire, retry timing, mapping parsing."""

from __future__ import annotations

import datetime as dt
import email.utils

import numpy as np
import pandas as pd
import pytest

from reverse_etl.mapping import MappingError, config_problems, load_mappings, parse_mappings
from cs360_core.http import RateLimitExhausted, RetriesExhausted, RetryPolicy, TransientError, rate_limit_wait
from reverse_etl.salesforce import parse_bulk_error
from reverse_etl.state import fingerprint
from reverse_etl.values import BULK_NULL, bulk_csv_value, hubspot_value, salesforce_value


def test_values_on_the_wire():
    moment = pd.Timestamp("2025-06-30 12:00:00")
    assert salesforce_value(moment) == "2025-06-30T12:00:00Z"
    assert salesforce_value(dt.date(2025, 6, 30)) == "2025-06-30T00:00:00Z"
    assert salesforce_value(np.int64(7)) == 7 and isinstance(salesforce_value(np.int64(7)), int)
    assert salesforce_value(float("nan")) is None
    # HubSpot: strings only, numbers without float noise or exponent, "" clears
    assert hubspot_value(71.0) == "71"
    assert hubspot_value(0.1234567891) == "0.1234567891"
    assert hubspot_value(1234567.5) == "1234567.5"
    assert hubspot_value(1e-7) == "0.0000001"
    assert hubspot_value(None) == ""
    assert hubspot_value(True) == "true"
    # Bulk CSV: #N/A sets null (an empty cell would leave the old value in place)
    assert bulk_csv_value(None) == BULK_NULL
    assert bulk_csv_value(42.5) == "42.5"


def test_fingerprint_depends_on_values_and_object_only():
    a = fingerprint("Account", {"X": 1, "Y": "b"})
    assert a == fingerprint("Account", {"Y": "b", "X": 1})
    assert a != fingerprint("Account", {"X": 2, "Y": "b"})
    assert a != fingerprint("Account", {"X": 1})  # a newly mapped field changes every fingerprint
    assert a != fingerprint("Contact", {"X": 1, "Y": "b"})


def test_rate_limit_wait_reads_every_vendor_form():
    assert rate_limit_wait({"Retry-After": "3"}) == 3.0
    later = email.utils.format_datetime(dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc), usegmt=True)
    now = dt.datetime(2029, 12, 31, 23, 59, 50, tzinfo=dt.timezone.utc).timestamp()
    assert rate_limit_wait({"retry-after": later}, now=lambda: now) == pytest.approx(10.0)
    assert rate_limit_wait({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                                "X-HubSpot-RateLimit-Remaining": "0"}) == 10.0
    assert rate_limit_wait({}) is None


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0), (" 0 ", 0.0),
    ("Sun, 06 Nov 1994 08:49:47 GMT", 10.0),     # IMF-fixdate
    ("Sunday, 06-Nov-94 08:49:47 GMT", 10.0),    # obsolete RFC 850 form
    ("Sun Nov  6 08:49:47 1994", 10.0),          # obsolete asctime form, GMT by definition
    ("Sun, 06 Nov 1994 08:49:00 GMT", 0.0),      # already past
    ("1.5", 1.5),                                # decimal seconds: not RFC 9110, but unambiguous
    ("soon", None), ("", None), ("-5", None), ("inf", None), ("nan", None), ("1e3", None), ("1.", None),
    ("Wed, 99 Foo 2015 07:28:00 GMT", None), ("12 34", None),
])
def test_retry_after_accepts_rfc_9110_forms_and_decimal_seconds(value, seconds):
    now = dt.datetime(1994, 11, 6, 8, 49, 37, tzinfo=dt.timezone.utc).timestamp()
    assert rate_limit_wait({"Retry-After": value}, now=lambda: now) == seconds


def test_a_malformed_retry_after_falls_back_to_hubspots_interval_header():
    assert rate_limit_wait({"Retry-After": "soon", "X-HubSpot-RateLimit-Interval-Milliseconds": "2500",
                                "X-HubSpot-RateLimit-Remaining": "0"}) == 2.5
    assert rate_limit_wait({"X-HubSpot-RateLimit-Interval-Milliseconds": "nan",
                                "X-HubSpot-RateLimit-Remaining": "0"}) is None


def test_jitter_never_takes_a_backoff_past_the_cap():
    policy = RetryPolicy(sleep=lambda seconds: None, max_attempts=8, base_delay=1.0, max_delay=4.0, jitter=0.5)
    assert max(policy.backoff(n) for n in range(1, 10) for _ in range(50)) <= 4.0
    assert min(policy.backoff(n) for n in range(3, 10) for _ in range(50)) == 4.0  # at the cap: exactly the cap
    calls = []

    def flaky():  # seven transient failures: backoffs reach the cap and must not give up
        calls.append(1)
        if len(calls) < 8:
            raise TransientError("503")
        return "ok"

    assert policy.run(flaky) == "ok"
    assert policy.waits[2:] == [4.0] * 5


def test_retry_policy_honours_the_vendors_wait_and_is_bounded():
    waits = []
    policy = RetryPolicy(sleep=waits.append, max_attempts=3, base_delay=0.5, max_delay=30, jitter=0)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise TransientError("429", retry_after=7)
        if len(calls) == 2:
            raise TransientError("503")
        return "ok"

    assert policy.run(flaky) == "ok"
    assert waits == [7, 1.0]  # the vendor's Retry-After, then exponential backoff

    with pytest.raises(RetriesExhausted):
        policy.run(lambda: (_ for _ in ()).throw(TransientError("500")))
    with pytest.raises(RetriesExhausted, match="asked to wait"):
        policy.run(lambda: (_ for _ in ()).throw(TransientError("429", retry_after=3600)))

    def daily():
        raise RateLimitExhausted("DAILY")

    waits.clear()
    with pytest.raises(RateLimitExhausted):
        policy.run(daily)
    assert waits == []  # a daily limit is not waited out


def test_bulk_error_text_is_split_into_code_and_message():
    assert parse_bulk_error("ENTITY_IS_DELETED:entity is deleted:--") == ("ENTITY_IS_DELETED", "entity is deleted")
    assert parse_bulk_error("STRING_TOO_LONG:Reasons: data value too large: abc:CS_Health_Reasons__c --") == (
        "STRING_TOO_LONG", "Reasons: data value too large: abc")


def test_mappings_parse_and_check_themselves():
    mappings = load_mappings()
    sf = mappings.destinations["salesforce"]
    assert sf.batch_size == 200 and sf.bulk_threshold == 2000
    assert mappings.destinations["hubspot"].batch_size == 100
    churn = {f.target: f for f in sf.field_maps}["CS_Churn_Risk__c"]
    assert churn.column == "churn_risk" and churn.optional
    assert all(not config_problems(d) for d in mappings.destinations.values())
    with pytest.raises(MappingError):
        parse_mappings({"model": "m", "destinations": {"salesforce": {"object": "Account"}}})
    with pytest.raises(MappingError):
        parse_mappings({"model": "m", "destinations": {"salesforce": {
            "object": "Account", "match_key": "k", "batch_size": 10, "fields": {"a": 42}}}})


def test_sync_state_is_merged_per_batch_one_row_per_record(tmp_path):
    import duckdb

    from reverse_etl.audit import RecordOutcome, SyncRun, ensure_schema
    from reverse_etl.state import Change, StateWriter, load_state

    def pair(record_id: str, score: int, ok: bool = True, error_code: str | None = None):
        change = Change(record_id, f"C-{record_id}", {"Health_Score__c": score}, f"fp-{record_id}-{score}", "changed")
        return change, RecordOutcome(record_id, f"C-{record_id}", ok, error="refused" if not ok else None,
                                     error_code=error_code, method="bulk")

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    first = SyncRun("run-1", "salesforce", dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc))
    StateWriter(con, first, load_state(con, "salesforce"), permanent_attempts=2).apply(
        [pair("a", 10), pair("b", 20, ok=False, error_code="INVALID_FIELD")])
    second = SyncRun("run-2", "salesforce", dt.datetime(2025, 6, 2, tzinfo=dt.timezone.utc))
    # a record twice in one batch: its last outcome is the one kept
    StateWriter(con, second, load_state(con, "salesforce"), permanent_attempts=2).apply(
        [pair("a", 11), pair("b", 20, ok=False, error_code="INVALID_FIELD"), pair("c", 30, ok=False), pair("c", 31)])
    rows = con.execute("select record_id, fingerprint, status, failed_fingerprint, attempts, synced_run_id, "
                       "last_run_id from reverse_etl.sync_state order by 1").fetchall()
    assert rows == [
        ("a", "fp-a-11", "synced", None, 0, "run-2", "run-2"),
        ("b", None, "parked", "fp-b-20", 2, None, "run-2"),
        ("c", "fp-c-31", "synced", None, 0, "run-2", "run-2"),
    ]
    assert con.execute("select run_id, count(*) from reverse_etl.sync_records group by 1 order by 1").fetchall() == [
        ("run-1", 2), ("run-2", 4)]
