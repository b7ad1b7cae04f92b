"""The whole path on a tiny world: sandbox → dlt → dbt → CRM fields, through the Dagster job."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from cs360.runner import run_stage
from sandbox.doubles.crm_world import kept_in_both
from sandbox.world.format import event_files, read_table


@pytest.fixture
def warehouse(full_run):
    """The shared run's warehouse (tests/conftest.py), opened per test and closed after it:
    DuckDB lets no writer in while it is open."""
    con = duckdb.connect(str(full_run.home.warehouse), read_only=True)
    yield con
    con.close()


def _count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def crm_records(tiny_world) -> dict[str, int]:
    """Accounts each CRM holds: its own, plus those the sandbox also keeps in the other one."""
    accounts = read_table(tiny_world, "accounts")
    both = accounts.account_id.map(kept_in_both)
    return {crm: int(((accounts.crm == crm) | both).sum()) for crm in ("salesforce", "hubspot")}


def test_raw_tables_hold_exactly_the_world(warehouse, tiny_world):
    records = crm_records(tiny_world)
    assert _count(warehouse, "raw_salesforce.accounts") == records["salesforce"]
    assert _count(warehouse, "raw_hubspot.companies") == records["hubspot"]
    assert _count(warehouse, "raw_product.tenants") == len(read_table(tiny_world, "tenants"))
    assert _count(warehouse, "raw_product.users") == len(read_table(tiny_world, "product_users"))
    world_events = sum(pq.ParquetFile(path).metadata.num_rows for path in event_files(tiny_world))
    assert _count(warehouse, "raw_product.events") == world_events


def test_every_world_account_has_one_customer_360_row(warehouse, tiny_world):
    world_ids = sorted(read_table(tiny_world, "accounts").account_id)
    mart_ids = [r[0] for r in warehouse.execute("select account_id from marts.customer_360 order by 1").fetchall()]
    assert mart_ids == world_ids


def test_every_account_is_scored(warehouse, tiny_world):
    n_accounts = len(read_table(tiny_world, "accounts"))
    assert _count(warehouse, "marts.health_score_current") == n_accounts
    bad = warehouse.execute(
        "select count(*) from marts.health_score_current where health_score not between 0 and 100"
        " or health_band not in ('red', 'yellow', 'green')"
    ).fetchone()[0]
    assert bad == 0


def _current_scores(con, id_column: str) -> dict[str, tuple[float, str]]:
    rows = con.execute(f"""
        select c.{id_column}, s.health_score, s.health_band
        from marts.health_score_current s join marts.customer_360 c using (account_id)
        where c.{id_column} is not null
    """).fetchall()
    return {record_id: (float(score), band) for record_id, score, band in rows}


def test_salesforce_accounts_carry_the_current_score(warehouse, full_run):
    expected = _current_scores(warehouse, "salesforce_account_id")
    env = full_run.sandbox.env
    sf = Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"], session_id=env["SALESFORCE_ACCESS_TOKEN"])
    records = sf.query_all("SELECT Id, CS_Health_Score__c, CS_Health_Band__c FROM Account")["records"]
    actual = {r["Id"]: (r["CS_Health_Score__c"], r["CS_Health_Band__c"]) for r in records}
    assert len(expected) > 0
    assert actual == expected


def test_hubspot_companies_carry_the_current_score(warehouse, full_run):
    expected = _current_scores(warehouse, "hubspot_company_id")
    env = full_run.sandbox.env
    client = HubSpot(access_token=env["HUBSPOT_ACCESS_TOKEN"], host=env["HUBSPOT_BASE_URL"])
    companies = client.crm.companies.get_all(properties=["cs_health_score", "cs_health_band"])
    actual = {c.id: (float(c.properties["cs_health_score"]), c.properties["cs_health_band"]) for c in companies}
    assert len(expected) > 0
    assert actual == expected


def test_sync_records_one_outcome_per_crm_record(warehouse, tiny_world):
    runs = dict(warehouse.execute(
        "select destination, succeeded from reverse_etl.sync_runs where not dry_run").fetchall())
    assert runs == crm_records(tiny_world)
    assert _count(warehouse, "reverse_etl.sync_records where outcome = 'failed'") == 0


def test_rerun_of_ingest_adds_no_duplicates(full_run):
    tables = ("raw_salesforce.accounts", "raw_hubspot.companies", "raw_product.events", "raw_product.users")
    with duckdb.connect(str(full_run.home.warehouse), read_only=True) as con:
        before = {t: _count(con, t) for t in tables}
    assert run_stage(full_run.home, "ingest", log=lambda line: None).success
    with duckdb.connect(str(full_run.home.warehouse), read_only=True) as con:
        after = {t: _count(con, t) for t in before}
    assert after == before


def test_churn_model_runs_between_the_dbt_steps_of_one_job(warehouse, full_run):
    """dbt (health_scores) -> churn model asset -> dbt (crm_account_health) in the same run:
    every scored day has its prediction row, and the CRM payload already carries it. The
    tiny world has too few churned contracts for a model: null risk, the reason, no drivers."""
    assert _count(warehouse, "marts.churn_predictions") == _count(warehouse, "marts.health_scores")
    reasons = warehouse.execute(
        "select distinct churn_risk, churn_drivers, churn_null_reason from marts.crm_account_health").fetchall()
    assert reasons and {reason[:2] for reason in reasons} == {(None, None)}
    # the reason of the version in force on each account's latest scored day
    assert all(reason[2].startswith("no trustworthy churn model: 0 churned contracts known on ") for reason in reasons)
    env = full_run.sandbox.env
    sf = Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"], session_id=env["SALESFORCE_ACCESS_TOKEN"])
    records = sf.query_all("SELECT Id, CS_Churn_Risk__c, CS_Churn_Drivers__c FROM Account")["records"]
    assert records and {(r["CS_Churn_Risk__c"], r["CS_Churn_Drivers__c"]) for r in records} == {(None, None)}
