"""Reverse ETL against the CRM doubles, through simple-salesforce and hubspot-api-client.

Every test gets a fresh sandbox on the tiny world and a warehouse holding only the sync's
input, `marts.crm_account_health`, built from the records the doubles hold (so the test
does not depend on the dbt project). Claims about API calls are read from the doubles'
request log, never from the sync's own counters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import time

import duckdb
import pytest

from cs360_core.settings import Home
from reverse_etl.mapping import load_mappings
from cs360_core.http import RetryPolicy
from retry_support import fast_policy
from reverse_etl.sync import InvalidMapping, sync_destination
from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.server import Sandbox

SCORED_AT = dt.datetime(2025, 6, 30)
BANDS = ("red", "yellow", "green")
STAGES = ("onboarding", "adoption", "renewal")
WRITES = {"salesforce": ("PATCH", "/composite/sobjects"), "hubspot": ("POST", "/batch/update")}


# --- fixtures and helpers ---------------------------------------------------------------------

@pytest.fixture
def sandbox(tiny_world, tmp_path, monkeypatch):
    with Sandbox(tiny_world, tmp_path / "sandbox", faults=FaultPlan(seed=7)) as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        yield running


@pytest.fixture
def home(tmp_path) -> Home:
    (tmp_path / "home").mkdir()
    return Home(tmp_path / "home")


def crm_ids(sandbox) -> dict[str, dict[str, str]]:
    """account_id → {'salesforce': Id, 'hubspot': id} from what the doubles hold."""
    ids: dict[str, dict[str, str]] = {}
    for record in sandbox.salesforce.records("Account", include_deleted=False):  # no number: an account of its own
        ids.setdefault(record["AccountNumber"] or f"salesforce:{record['Id']}", {})["salesforce"] = record["Id"]
    for company in sandbox.hubspot.objects("companies"):
        number = company["properties"].get("customer_id")
        ids.setdefault(number or f"hubspot:{company['id']}", {})["hubspot"] = company["id"]
    return ids


def model_rows(sandbox, version: int = 0, changed: set[str] | None = None, churn_risk: bool = False) -> list[dict]:
    """One row per account; `version` shifts every score, or only those in `changed`."""
    rows = []
    for i, (account_id, ids) in enumerate(sorted(crm_ids(sandbox).items())):
        bump = version if changed is None or account_id in changed else 0
        row = {
            "account_id": account_id,
            "salesforce_account_id": ids.get("salesforce"),
            "hubspot_company_id": ids.get("hubspot"),
            "health_score": round(40 + i * 1.5 + bump, 1),
            "health_band": BANDS[(i + bump) % 3],
            "score_change_30d": round(-3.5 + i * 0.25, 2) if i % 4 else None,
            "top_reasons": f"usage {'up' if i % 2 else 'down'}, {i} open tickets, \"quoted\", comma",
            "lifecycle_stage": STAGES[i % 3],
            "scored_at": SCORED_AT + dt.timedelta(days=bump),
        }
        if churn_risk:
            row["churn_risk"] = round(0.05 + i * 0.01, 4)
        rows.append(row)
    return rows


def write_model(home: Home, rows: list[dict]) -> None:
    columns = list(rows[0])
    types = {"health_score": "double", "score_change_30d": "double", "churn_risk": "double",
             "scored_at": "timestamp"}
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.crm_account_health ("
                    + ", ".join(f"{c} {types.get(c, 'varchar')}" for c in columns) + ")")
        con.executemany(f"insert into marts.crm_account_health values ({', '.join('?' for _ in columns)})",
                        [[r[c] for c in columns] for r in rows])
        write_passing_gate_inputs(con)


def write_passing_gate_inputs(con) -> None:
    """What the sync gates read, healthy: every product tenant matched, one day of bands."""
    con.execute("create or replace table marts.identity_bridge as select 'product' as source_system, "
                "'tenant-' || account_id as source_id, account_id from marts.crm_account_health")
    con.execute("create or replace table marts.health_scores as select account_id, "
                "cast(scored_at as date) as as_of_date, health_band from marts.crm_account_health")
    con.execute("create or replace table marts.health_band_stability as select max(as_of_date) as as_of_date, "
                "cast(null as double) as band_psi from marts.health_scores")


def mappings_with(**per_destination) -> object:
    """The default mappings with some destination settings replaced, e.g.
    mappings_with(salesforce={"batch_size": 5})."""
    mappings = load_mappings()
    destinations = dict(mappings.destinations)
    for name, changes in per_destination.items():
        destinations[name] = dataclasses.replace(destinations[name], **changes)
    return dataclasses.replace(mappings, destinations=destinations)


def writes(sandbox, vendor: str) -> list[dict]:
    method, path = WRITES[vendor]
    return [e for e in sandbox.request_log.entries(vendor) if e["method"] == method and e["path"].endswith(path)]


def non_reads(sandbox, vendor: str) -> list[dict]:
    return [e for e in sandbox.request_log.entries(vendor) if e["method"] != "GET"]


def sent_records(entries: list[dict], vendor: str) -> list[dict]:
    """Every record payload in these write requests: {'id', field: value...}."""
    out = []
    for entry in entries:
        if vendor == "salesforce":
            out += [{k: v for k, v in r.items() if k != "attributes"} for r in entry["body"]["records"]]
        else:
            out += [{"id": i["id"], **i["properties"]} for i in entry["body"]["inputs"]]
    return out


def expected_salesforce(row: dict, churn_risk: bool = False) -> dict:
    values = {
        "CS_Health_Score__c": row["health_score"],
        "CS_Health_Band__c": row["health_band"],
        "CS_Health_Trend_30d__c": row["score_change_30d"],
        "CS_Health_Reasons__c": row["top_reasons"],
        "CS_Lifecycle_Stage__c": row["lifecycle_stage"],
        "CS_Score_Updated_At__c": row["scored_at"].strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }
    if churn_risk:
        values["CS_Churn_Risk__c"] = row["churn_risk"]
    return values


def salesforce_state(sandbox, fields) -> dict[str, dict]:
    return {r["Id"]: {f: r.get(f) for f in fields} for r in sandbox.salesforce.records("Account")}


def assert_salesforce_holds(sandbox, rows, churn_risk: bool = False, skip: set[str] = frozenset()) -> None:
    expected = {r["salesforce_account_id"]: expected_salesforce(r, churn_risk)
                for r in rows if r["salesforce_account_id"] and r["salesforce_account_id"] not in skip}
    fields = list(next(iter(expected.values())))
    actual = salesforce_state(sandbox, fields)
    assert {k: actual[k] for k in expected} == expected


def hubspot_number(value) -> float | None:
    return None if value in (None, "") else float(value)


def assert_hubspot_holds(sandbox, rows, skip: set[str] = frozenset()) -> None:
    companies = {c["id"]: c["properties"] for c in sandbox.hubspot.objects("companies")}
    expected = {r["hubspot_company_id"]: r for r in rows if r["hubspot_company_id"]
                and r["hubspot_company_id"] not in skip}
    assert expected
    for record_id, row in expected.items():
        props = companies[record_id]
        assert hubspot_number(props["cs_health_score"]) == row["health_score"], record_id
        assert props["cs_health_band"] == row["health_band"], record_id
        assert hubspot_number(props.get("cs_health_trend_30d")) == row["score_change_30d"], record_id
        assert props["cs_health_reasons"] == row["top_reasons"], record_id
        assert props["cs_lifecycle_stage"] == row["lifecycle_stage"], record_id
        assert props["cs_score_updated_at"].startswith(row["scored_at"].strftime("%Y-%m-%dT%H:%M:%S")), record_id


def state_rows(home: Home, destination: str) -> dict[str, tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "select record_id, fingerprint, status, attempts, last_error_code from reverse_etl.sync_state "
            "where destination = ?", [destination]).fetchall()}


def quiet(line: str) -> None:
    pass


# --- diff state and batching -------------------------------------------------------------------

def test_first_run_sends_every_record_in_vendor_batches_and_a_rerun_sends_nothing(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    mappings = mappings_with(salesforce={"batch_size": 5}, hubspot={"batch_size": 4})
    n = {"salesforce": sum(bool(r["salesforce_account_id"]) for r in rows),
         "hubspot": sum(bool(r["hubspot_company_id"]) for r in rows)}
    assert n["salesforce"] > 5 and n["hubspot"] > 4

    for name, size in (("salesforce", 5), ("hubspot", 4)):
        run = sync_destination(home, name, mappings, policy=fast_policy(), log=quiet)
        assert (run.planned, run.succeeded, run.failed) == (n[name], n[name], 0)
        assert len(writes(sandbox, name)) == math.ceil(n[name] / size)
        assert all(len(sent_records([e], name)) <= size for e in writes(sandbox, name))
    assert_salesforce_holds(sandbox, rows)
    assert_hubspot_holds(sandbox, rows)
    created = {name: prop for name, prop in sandbox.hubspot.properties["companies"].items() if name.startswith("cs_")}
    assert set(created) == set(mappings.destinations["hubspot"].properties)
    assert {p["groupName"] for p in created.values()} == {"cs360"}

    sandbox.request_log.clear()
    for name in ("salesforce", "hubspot"):
        run = sync_destination(home, name, mappings, policy=fast_policy(), log=quiet)
        assert (run.planned, run.sent, run.unchanged) == (0, 0, n[name])
        assert non_reads(sandbox, name) == [], "an unchanged rerun makes no write call at all"


def test_only_changed_rows_are_sent_with_only_mapped_fields(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    for name in ("salesforce", "hubspot"):
        sync_destination(home, name, policy=fast_policy(), log=quiet)
    changed = {r["account_id"] for r in rows[::3]}
    rows = model_rows(sandbox, version=1, changed=changed)
    write_model(home, rows)
    sandbox.request_log.clear()

    mapped = {name: set(d.targets) for name, d in load_mappings().destinations.items()}
    for name, key in (("salesforce", "salesforce_account_id"), ("hubspot", "hubspot_company_id")):
        run = sync_destination(home, name, policy=fast_policy(), log=quiet)
        expected_ids = {r[key] for r in rows if r[key] and r["account_id"] in changed}
        sent = sent_records(writes(sandbox, name), name)
        assert {r["id"] for r in sent} == expected_ids
        assert run.planned == len(expected_ids)
        assert len(writes(sandbox, name)) == math.ceil(len(expected_ids) / load_mappings().destinations[name].batch_size)
        for record in sent:  # never a field the mapping does not own
            assert set(record) - {"id"} <= mapped[name]
    assert_salesforce_holds(sandbox, rows)
    assert_hubspot_holds(sandbox, rows)


def test_a_new_scored_at_alone_is_not_a_change(sandbox, home):
    """A day later every account is scored again (a new `scored_at`), but only the rows
    whose other values changed are sent, with the new stamp; the others keep the stamp of
    the values the CRM holds."""
    first = model_rows(sandbox)
    write_model(home, first)
    for name in ("salesforce", "hubspot"):
        sync_destination(home, name, policy=fast_policy(), log=quiet)
    changed = {r["account_id"] for r in first[::3]}
    rows = [{**row, "scored_at": SCORED_AT + dt.timedelta(days=1)} for row in model_rows(sandbox, 2, changed)]
    write_model(home, rows)
    sandbox.request_log.clear()

    for name, key in (("salesforce", "salesforce_account_id"), ("hubspot", "hubspot_company_id")):
        run = sync_destination(home, name, policy=fast_policy(), log=quiet)
        expected = {r[key] for r in rows if r[key] and r["account_id"] in changed}
        with_record = sum(bool(r[key]) for r in rows)
        assert (run.planned, run.succeeded, run.unchanged) == (len(expected), len(expected), with_record - len(expected))
        assert {r["id"] for r in sent_records(writes(sandbox, name), name)} == expected
    held = [row if row["account_id"] in changed else old for row, old in zip(rows, first, strict=True)]
    assert_salesforce_holds(sandbox, held)
    assert_hubspot_holds(sandbox, held)


def test_full_resync_ignores_the_diff_state(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sync_destination(home, "hubspot", policy=fast_policy(), log=quiet)
    sandbox.request_log.clear()
    run = sync_destination(home, "hubspot", full_resync=True, policy=fast_policy(), log=quiet)
    n = sum(bool(r["hubspot_company_id"]) for r in rows)
    assert run.planned == run.succeeded == n
    assert len(sent_records(writes(sandbox, "hubspot"), "hubspot")) == n


def test_optional_churn_risk_is_sent_once_the_column_exists(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    lines = []
    sync_destination(home, "salesforce", policy=fast_policy(), log=lines.append)
    assert any("churn_risk" in line and "not in" in line for line in lines)
    assert all("CS_Churn_Risk__c" not in r for r in sent_records(writes(sandbox, "salesforce"), "salesforce"))

    rows = model_rows(sandbox, churn_risk=True)
    write_model(home, rows)
    sandbox.request_log.clear()
    run = sync_destination(home, "salesforce", policy=fast_policy(), log=quiet)
    assert run.planned == sum(bool(r["salesforce_account_id"]) for r in rows)  # new field: every record
    assert_salesforce_holds(sandbox, rows, churn_risk=True)


# --- guards -----------------------------------------------------------------------------------------

def test_invalid_mapping_stops_before_any_write_naming_every_problem(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sf = load_mappings().destinations["salesforce"]
    hs = load_mappings().destinations["hubspot"]
    from reverse_etl.mapping import FieldMap

    bad = mappings_with(
        salesforce={"field_maps": sf.field_maps + (
            FieldMap("health_score", "CS_No_Such_Field__c"),       # not in describe
            FieldMap("health_band", "CreatedDate"),                # not updateable
            FieldMap("lifecycle_stage", "Type"),                   # read by the pipeline: feeds the score
            FieldMap("no_such_column", "Description"),             # not in the model
        ), "batch_size": 500},                                     # over the vendor's limit
        hubspot={"field_maps": hs.field_maps + (FieldMap("health_score", "cs_undefined_property"),)},
    )
    with pytest.raises(InvalidMapping) as raised:
        sync_destination(home, "salesforce", bad, policy=fast_policy(), log=quiet)
    message = str(raised.value)
    for needle in ("CS_No_Such_Field__c", "CreatedDate", "Type", "no_such_column", "batch_size 500"):
        assert needle in message
    # CreatedDate is also read by the pipeline, Description is not on the double's Account
    assert len(raised.value.problems) == 7

    with pytest.raises(InvalidMapping, match="cs_undefined_property"):
        sync_destination(home, "hubspot", bad, policy=fast_policy(), log=quiet)
    # not one write: no record, and no property or group created either
    assert non_reads(sandbox, "salesforce") == [] and non_reads(sandbox, "hubspot") == []
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        statuses = con.execute("select destination, status from reverse_etl.sync_runs order by 1").fetchall()
        assert con.execute("select count(*) from reverse_etl.sync_state").fetchone()[0] == 0
    assert statuses == [("hubspot", "aborted"), ("salesforce", "aborted")]


@pytest.mark.parametrize("fault", ["duplicate_match_key", "duplicate_account", "null_account", "blank_match_key"])
def test_unsafe_keys_stop_the_sync_before_any_write(sandbox, home, fault):
    rows = model_rows(sandbox)
    sf_rows = [r for r in rows if r["salesforce_account_id"]]
    if fault == "duplicate_match_key":
        sf_rows[1]["salesforce_account_id"] = sf_rows[0]["salesforce_account_id"]
    elif fault == "duplicate_account":
        sf_rows[1]["account_id"] = sf_rows[0]["account_id"]
    elif fault == "null_account":
        sf_rows[1]["account_id"] = None
    else:
        sf_rows[1]["salesforce_account_id"] = "  "
    write_model(home, rows)
    with pytest.raises(InvalidMapping):
        sync_destination(home, "salesforce", policy=fast_policy(), log=quiet)
    assert non_reads(sandbox, "salesforce") == []


def test_no_written_field_is_read_by_the_ingestion_pipelines():
    from pipelines.hubspot import CRM_OBJECTS
    from pipelines.salesforce import SOBJECTS

    read = {f.lower() for entry in SOBJECTS.values() for f in entry[1]}
    read |= {p.lower() for entry in CRM_OBJECTS.values() for p in entry[1]}
    for destination in load_mappings().destinations.values():
        assert not {t.lower() for t in destination.targets} & read, destination.name


# --- dry run -------------------------------------------------------------------------------------------

def test_dry_run_prints_the_plan_and_writes_nothing(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sync_destination(home, "salesforce", policy=fast_policy(), log=quiet)
    in_salesforce = [r["account_id"] for r in rows if r["salesforce_account_id"]][:2]
    rows = model_rows(sandbox, version=2, changed=set(in_salesforce))
    write_model(home, rows)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        before = con.execute("select * from reverse_etl.sync_state order by all").fetchall()
        runs_before = con.execute("select count(*) from reverse_etl.sync_runs").fetchone()[0]
    sandbox.request_log.clear()

    lines = []
    for name in ("salesforce", "hubspot"):
        sync_destination(home, name, dry_run=True, policy=fast_policy(), log=lines.append)
    text = "\n".join(lines)
    changed_sf = len(in_salesforce)
    assert f"salesforce: would send {changed_sf} of" in text
    assert "→" in text, text  # the sample shows old → new values
    assert "hubspot: would send" in text and "would create: group:cs360" in text
    assert non_reads(sandbox, "salesforce") == [] and non_reads(sandbox, "hubspot") == []
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("select * from reverse_etl.sync_state order by all").fetchall() == before
        assert con.execute("select count(*) from reverse_etl.sync_runs").fetchone()[0] == runs_before


# --- failures -------------------------------------------------------------------------------------------

def test_deleted_records_fail_with_the_vendors_reason_and_are_parked_after_the_bound(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sf_gone = next(r["salesforce_account_id"] for r in rows if r["salesforce_account_id"])
    hs_gone = next(r["hubspot_company_id"] for r in rows if r["hubspot_company_id"])
    sandbox.salesforce.delete("Account", sf_gone)
    sandbox.hubspot.archive("companies", hs_gone)
    bound = load_mappings().retry.permanent_attempts

    for attempt in range(1, bound + 2):
        sandbox.request_log.clear()
        sf_run = sync_destination(home, "salesforce", policy=fast_policy(), log=quiet)
        hs_run = sync_destination(home, "hubspot", policy=fast_policy(), log=quiet)
        sf_sent = {r["id"] for r in sent_records(writes(sandbox, "salesforce"), "salesforce")}
        hs_sent = {r["id"] for r in sent_records(writes(sandbox, "hubspot"), "hubspot")}
        if attempt <= bound:
            # only the failing record is sent again, and it fails with the vendor's reason
            assert (attempt == 1) or (sf_sent, hs_sent) == ({sf_gone}, {hs_gone})
            assert state_rows(home, "salesforce")[sf_gone][1:] == (
                "parked" if attempt == bound else "retrying", attempt, "ENTITY_IS_DELETED")
            assert state_rows(home, "hubspot")[hs_gone][1:] == (
                "parked" if attempt == bound else "retrying", attempt, "OBJECT_NOT_FOUND")
            assert sf_run.failed == hs_run.failed == 1
        else:  # parked: left alone, and no write call at all
            assert non_reads(sandbox, "salesforce") == [] and non_reads(sandbox, "hubspot") == []
            assert sf_run.parked_skipped == hs_run.parked_skipped == 1
    assert_salesforce_holds(sandbox, rows, skip={sf_gone})
    assert_hubspot_holds(sandbox, rows, skip={hs_gone})
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        errors = con.execute("select distinct error from reverse_etl.sync_records where outcome = 'failed' "
                             "and destination = 'salesforce'").fetchall()
    assert errors == [("ENTITY_IS_DELETED: entity is deleted",)]


def test_an_invalid_value_fails_only_its_record_and_the_rest_is_written(sandbox, home):
    rows = model_rows(sandbox)
    bad_sf = next(r for r in rows if r["salesforce_account_id"])
    bad_hs = next(r for r in rows if r["hubspot_company_id"])
    bad_sf["health_band"] = bad_hs["health_band"] = "purple"  # not an option of the picklist / enumeration
    write_model(home, rows)
    sf_run = sync_destination(home, "salesforce", policy=fast_policy(), log=quiet)
    hs_run = sync_destination(home, "hubspot", policy=fast_policy(), log=quiet)
    assert sf_run.failed == 1 and hs_run.failed == 1
    assert state_rows(home, "salesforce")[bad_sf["salesforce_account_id"]][3] == \
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    # HubSpot rejects the whole batch with a 400: the sync splits it to isolate the record
    assert state_rows(home, "hubspot")[bad_hs["hubspot_company_id"]][3] == "VALIDATION_ERROR"
    assert_salesforce_holds(sandbox, rows, skip={bad_sf["salesforce_account_id"]})
    assert_hubspot_holds(sandbox, rows, skip={bad_hs["hubspot_company_id"]})

    # fixed in the warehouse: the next run sends exactly that record, which now succeeds
    bad_sf["health_band"] = bad_hs["health_band"] = "red"
    write_model(home, rows)
    sandbox.request_log.clear()
    sync_destination(home, "salesforce", policy=fast_policy(), log=quiet)
    sync_destination(home, "hubspot", policy=fast_policy(), log=quiet)
    assert [r["id"] for r in sent_records(writes(sandbox, "salesforce"), "salesforce")] == \
        [bad_sf["salesforce_account_id"]]
    assert [r["id"] for r in sent_records(writes(sandbox, "hubspot"), "hubspot")] == [bad_hs["hubspot_company_id"]]
    assert_salesforce_holds(sandbox, rows)
    assert_hubspot_holds(sandbox, rows)


# --- the command line ---------------------------------------------------------------------------------

def test_cli_sync_dry_run_and_status(sandbox, home, monkeypatch, capsys):
    from cs360.cli import main

    rows = model_rows(sandbox)
    write_model(home, rows)
    for key in ("ALERT_WEBHOOK_URL", "CS360_HOME", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        monkeypatch.delenv(key, raising=False)  # `main` sets some: restored after the test
    monkeypatch.setenv("DAGSTER_HOME", str(home.root / "dagster"))
    assert main(["sync", "--home", str(home.root), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "salesforce: would send" in out and "hubspot: would send" in out
    assert non_reads(sandbox, "salesforce") == [] and non_reads(sandbox, "hubspot") == []

    assert main(["sync", "--home", str(home.root), "--target", "salesforce"]) == 0
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home.root / "dagster")) as instance:  # the runs the UI lists
        runs = instance.get_runs()
        assert [(r.job_name, r.tags["cs360/command"], r.tags["cs360/dry_run"], r.status.value) for r in runs] == [
            ("cs360_sync", "sync", "false", "SUCCESS"), ("cs360_sync", "sync", "true", "SUCCESS")]
        assert sorted(instance.get_execution_plan_snapshot(runs[0].execution_plan_snapshot_id).step_keys_to_execute
                      ) == ["reverse_etl__salesforce_account"]
    with monkeypatch.context() as without_credentials:  # a dry run needs none, and plans the same
        without_credentials.delenv("SALESFORCE_ACCESS_TOKEN")
        capsys.readouterr()
        assert main(["sync", "--home", str(home.root), "--target", "salesforce", "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "salesforce: would send 0 of" in out and "not checked" in out
    sandbox.salesforce.delete("Account", next(r["salesforce_account_id"] for r in rows if r["salesforce_account_id"]))
    assert main(["sync", "--home", str(home.root), "--target", "salesforce", "--full-resync"]) == 1
    capsys.readouterr()
    from cs360.status import print_sync_status

    lines = []
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        print_sync_status(con, out=lines.append)
    text = "\n".join(lines)
    assert "retrying next run 1" in text and "ENTITY_IS_DELETED" in text
    assert os.environ["SALESFORCE_ACCESS_TOKEN"] not in text


# --- Bulk API 2.0 -------------------------------------------------------------------------------------

def test_many_changes_go_through_one_bulk_api_job(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sf_rows = [r for r in rows if r["salesforce_account_id"]]
    gone = sf_rows[2]["salesforce_account_id"]
    sandbox.salesforce.delete("Account", gone)
    mappings = mappings_with(salesforce={"bulk_threshold": 5})  # the tiny world has more than 5 accounts

    run = sync_destination(home, "salesforce", mappings, policy=fast_policy(), log=quiet)
    log = sandbox.request_log.entries("salesforce")
    calls = [(e["method"], e["path"].split("/v62.0/")[-1].rstrip("/")) for e in log]
    job = next(p for m, p in calls if m == "GET" and p.startswith("jobs/ingest/") and p.count("/") == 2)
    assert ("POST", "jobs/ingest") in calls
    assert ("PUT", f"{job}/batches") in calls and ("PATCH", job) in calls
    assert ("GET", f"{job}/successfulResults") in calls and ("GET", f"{job}/failedResults") in calls
    assert not any(p == "composite/sobjects" for _, p in calls)
    assert run.method == "bulk" and run.write_calls == 3
    assert (run.succeeded, run.failed) == (len(sf_rows) - 1, 1)
    assert state_rows(home, "salesforce")[gone][3] == "ENTITY_IS_DELETED"
    uploaded = next(e["body"] for e in log if e["method"] == "PUT")
    header = uploaded.splitlines()[0].split(",")
    absent = {f.target for f in mappings.destinations["salesforce"].field_maps if f.optional}
    assert header[0] == "Id" and set(header[1:]) == set(mappings.destinations["salesforce"].targets) - absent
    # only mapped fields, the optional absent columns left out
    assert_salesforce_holds(sandbox, rows, skip={gone})

    # nulls are written as #N/A (an empty cell would leave the old value): a trend set to null sticks
    rows = model_rows(sandbox, version=1)
    for r in rows:
        r["score_change_30d"] = None
    write_model(home, rows)
    sandbox.request_log.clear()
    sync_destination(home, "salesforce", mappings, policy=fast_policy(), log=quiet)
    assert_salesforce_holds(sandbox, rows, skip={gone})

    sandbox.request_log.clear()
    run = sync_destination(home, "salesforce", mappings, policy=fast_policy(), log=quiet)
    assert run.planned == 0 and non_reads(sandbox, "salesforce") == []


# --- injected faults: partial failures, transient errors, rate limits ----------------------------------

def _records_in(entry: dict, vendor: str) -> list[str]:
    return [r["id"] for r in sent_records([entry], vendor)]


def test_a_partial_failure_then_a_clean_rerun_ends_correct_without_repeating_a_write(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    # first write call of each CRM: two records rejected for good, one Salesforce row locked
    sandbox.faults.add("salesforce", r"/composite/sobjects$", "record_failure", calls=(1,), records=(1, 3),
                       code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Health fields are locked for renewal")
    sandbox.faults.add("salesforce", r"/composite/sobjects$", "lock", calls=(1,), records=(0,))
    sandbox.faults.add("hubspot", r"/batch/update$", "record_failure", calls=(1,), records=(0, 2))

    runs = {name: sync_destination(home, name, policy=fast_policy(), log=quiet) for name in WRITES}
    first_calls = {name: writes(sandbox, name)[0] for name in WRITES}
    rejected = {"salesforce": {_records_in(first_calls["salesforce"], "salesforce")[i] for i in (1, 3)},
                "hubspot": {_records_in(first_calls["hubspot"], "hubspot")[i] for i in (0, 2)}}
    locked = _records_in(first_calls["salesforce"], "salesforce")[0]
    for name in WRITES:
        assert runs[name].failed == 2
        states = state_rows(home, name)
        assert {rid for rid, s in states.items() if s[1] == "retrying"} == rejected[name]
    assert state_rows(home, "salesforce")[locked][1] == "synced"  # the lock was retried within the run
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        reasons = set(con.execute("select error from reverse_etl.sync_records where outcome = 'failed'").fetchall())
    assert ("FIELD_CUSTOM_VALIDATION_EXCEPTION: Health fields are locked for renewal",) in reasons

    for name in WRITES:
        sync_destination(home, name, policy=fast_policy(), log=quiet)
    assert_salesforce_holds(sandbox, rows)
    assert_hubspot_holds(sandbox, rows)
    for name in WRITES:
        sends: dict[str, int] = {}
        for entry in writes(sandbox, name):
            for rid in _records_in(entry, name):
                sends[rid] = sends.get(rid, 0) + 1
        # a record is sent again only after the vendor refused it: never written twice
        expected_twice = rejected[name] | ({locked} if name == "salesforce" else set())
        assert {rid for rid, n in sends.items() if n == 2} == expected_twice
        assert max(sends.values()) == 2
    assert all(s[1] == "synced" for name in WRITES for s in state_rows(home, name).values())


def test_transient_errors_are_retried_honouring_the_vendors_wait(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("hubspot", r"/batch/update$", "rate_limit", first=2, retry_after=3)
    sandbox.faults.add("salesforce", r"/composite/sobjects$", "server_error", first=1, status=503)
    hs_policy, sf_policy = fast_policy(jitter=0), fast_policy(jitter=0)

    hs = sync_destination(home, "hubspot", policy=hs_policy, log=quiet)
    sf = sync_destination(home, "salesforce", policy=sf_policy, log=quiet)
    assert hs_policy.waits == [3.0, 3.0]  # Retry-After, as the vendor asked
    assert sf_policy.waits == [1.0]       # no header: exponential backoff from the base delay
    assert [e["status"] for e in writes(sandbox, "hubspot")] == [429, 429, 200]
    assert [e["status"] for e in writes(sandbox, "salesforce")] == [503, 200]
    assert hs.failed == sf.failed == 0
    assert hs.api_calls == len(sandbox.request_log.entries("hubspot"))
    assert_salesforce_holds(sandbox, rows)
    assert_hubspot_holds(sandbox, rows)


def test_a_daily_limit_stops_the_run_and_the_next_run_finishes(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    mappings = mappings_with(hubspot={"batch_size": 3})
    sandbox.faults.add("hubspot", r"/batch/update$", "rate_limit", calls=(2,), policy="DAILY")
    policy = fast_policy()
    run = sync_destination(home, "hubspot", mappings, policy=policy, log=quiet)
    assert run.status == "failed" and "daily" in run.error.lower()
    assert policy.waits == [] and run.succeeded == 3  # the first batch, then a stop: no waiting out a day
    run = sync_destination(home, "hubspot", mappings, policy=fast_policy(), log=quiet)
    assert run.status == "succeeded" and run.planned == sum(bool(r["hubspot_company_id"]) for r in rows) - 3
    assert_hubspot_holds(sandbox, rows)


def test_locked_rows_in_a_bulk_job_are_retried_in_the_same_run(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("salesforce", r"/jobs/ingest/[^/]+/?$", "lock", method="PATCH", calls=(1,), records=(0, 1))
    mappings = mappings_with(salesforce={"bulk_threshold": 5})
    run = sync_destination(home, "salesforce", mappings, policy=fast_policy(), log=quiet)
    assert run.failed == 0 and run.method == "bulk+collections"
    retried = [r["id"] for r in sent_records(writes(sandbox, "salesforce"), "salesforce")]
    assert len(retried) == 2  # the two locked rows, through sObject Collections in round two
    assert_salesforce_holds(sandbox, rows)


def test_a_request_that_times_out_is_sent_again(sandbox, home):
    from pipelines.credentials import hubspot_settings
    from reverse_etl.hubspot import HubSpotWriter, hubspot_client

    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("hubspot", r"/batch/update$", "timeout", first=1, seconds=1.5)
    policy = fast_policy()
    writer = HubSpotWriter(hubspot_client(hubspot_settings()), policy, timeout_seconds=0.5)
    run = sync_destination(home, "hubspot", writer=writer, policy=policy, log=quiet)
    assert run.failed == 0 and len(policy.waits) == 1
    time.sleep(1.5)  # the timed-out request is still processed by the double, with the same values
    assert len(writes(sandbox, "hubspot")) == 2
    assert_hubspot_holds(sandbox, rows)


def test_a_malformed_retry_after_is_ignored_and_the_backoff_used(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("hubspot", r"/batch/update$", "rate_limit", calls=(1,), retry_after="soon")
    sandbox.faults.add("hubspot", r"/batch/update$", "rate_limit", calls=(2,),
                       retry_after="Wed, 99 Foo 2015 07:28:00 GMT")
    policy = fast_policy(jitter=0)
    run = sync_destination(home, "hubspot", policy=policy, log=quiet)
    assert policy.waits == [10.0, 10.0]  # as if no Retry-After: HubSpot's own interval header (10 s window)
    assert [e["status"] for e in writes(sandbox, "hubspot")] == [429, 429, 200]
    assert run.failed == 0
    assert_hubspot_holds(sandbox, rows)


def test_a_hubspot_error_is_blamed_only_on_the_ids_it_names(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("hubspot", r"/batch/update$", "record_failure", calls=(1,), records=(1,),
                       attribution="none", code="VALIDATION_ERROR")
    sandbox.faults.add("hubspot", r"/batch/update$", "record_failure", calls=(1,), records=(3,),
                       attribution="message", code="INVALID_OPTION")
    run = sync_destination(home, "hubspot", policy=fast_policy(), log=quiet)
    batches = [[i["id"] for i in e["body"]["inputs"]] for e in writes(sandbox, "hubspot")]
    unnamed, named = batches[0][1], batches[0][3]
    assert batches[1:] == [[unnamed]]  # round two resends only the record no error named
    states = state_rows(home, "hubspot")
    assert states[named][1:] == ("retrying", 1, "INVALID_OPTION")
    assert {rid for rid, state in states.items() if state[1] == "synced"} == set(batches[0]) - {named}
    assert (run.succeeded, run.failed) == (len(batches[0]) - 1, 1)
    assert_hubspot_holds(sandbox, rows, skip={named})


def test_a_record_that_no_hubspot_error_names_stays_unconfirmed_and_is_never_parked(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("hubspot", r"/batch/update$", "record_failure", records=(0,), attribution="none")
    mappings = dataclasses.replace(mappings_with(), retry=dataclasses.replace(load_mappings().retry, record_rounds=1))
    bound = mappings.retry.permanent_attempts
    for _ in range(bound + 1):
        sync_destination(home, "hubspot", mappings, policy=fast_policy(), log=quiet)
    batches = [[i["id"] for i in e["body"]["inputs"]] for e in writes(sandbox, "hubspot")]
    first = batches[0][0]
    assert batches[1:] == [[first]] * bound  # sent again on every run
    assert state_rows(home, "hubspot")[first][1:] == ("retrying", 0, "UNCONFIRMED")  # no permanent attempt counted


def _bulk_writer(timeout_seconds: float, policy):
    from pipelines.credentials import salesforce_settings
    from pipelines.salesforce.client import salesforce_client
    from reverse_etl.salesforce import SalesforceWriter

    return SalesforceWriter(salesforce_client(salesforce_settings()), policy, bulk_poll_seconds=0.01,
                            timeout_seconds=timeout_seconds)


def test_a_bulk_job_created_without_an_answer_is_aborted_not_left_open(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    # the create request times out on the client but the server still creates the job
    sandbox.faults.add("salesforce", r"/jobs/ingest/?$", "timeout", method="POST", first=1, seconds=1.0)
    policy = RetryPolicy(base_delay=2.0, jitter=0)
    writer = _bulk_writer(0.3, policy)
    run = sync_destination(home, "salesforce", mappings_with(salesforce={"bulk_threshold": 5}), writer=writer,
                           policy=policy, log=quiet)
    assert run.failed == 0 and run.method == "bulk"
    states = sorted(job.state for job in sandbox.salesforce.ingest_jobs.values())
    assert states == ["Aborted", "JobComplete"]  # the orphan aborted, one job ran
    assert_salesforce_holds(sandbox, rows)


def test_an_unanswered_upload_complete_is_checked_not_resent(sandbox, home):
    rows = model_rows(sandbox)
    write_model(home, rows)
    sandbox.faults.add("salesforce", r"/jobs/ingest/[^/]+/?$", "timeout", method="PATCH", first=1, seconds=1.0)
    policy = RetryPolicy(base_delay=2.0, jitter=0)
    writer = _bulk_writer(0.3, policy)
    run = sync_destination(home, "salesforce", mappings_with(salesforce={"bulk_threshold": 5}), writer=writer,
                           policy=policy, log=quiet)
    assert (run.status, run.failed, run.method) == ("succeeded", 0, "bulk")
    assert [job.state for job in sandbox.salesforce.ingest_jobs.values()] == ["JobComplete"]
    closes = [e for e in sandbox.request_log.entries("salesforce") if e["method"] == "PATCH"]
    assert len(closes) == 1  # looked up (GET), not sent again
    assert_salesforce_holds(sandbox, rows)
