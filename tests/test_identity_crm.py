"""One customer, two accounts: CRM records without the customer number matched across the
two CRMs (dbt_project int_identity__crm_records), one-to-one, by domain then name.

The fixture of tests/dbt_raw_fixture.py plus the Salesforce Accounts of `cross_crm_rows`,
built with every dbt test; the sync's own reader shows what each CRM would receive.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from test_dbt_project import Dbt, one, rows

_spec = importlib.util.spec_from_file_location("dbt_raw_fixture", Path(__file__).with_name("dbt_raw_fixture.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

ACME, GLOBEX, INITECH, UMBRELLA, STARK, BAKERY = (
    fx.ACCOUNT_IDS[k] for k in ("acme", "globex", "initech", "umbrella", "stark", "bakery"))
# both Umbrella records lack a number: the pair keeps the Salesforce record's id
UMBRELLA_MERGED = f"salesforce:{fx.SF_UMBRELLA}"


@pytest.fixture(scope="module")
def crm_home(tmp_path_factory) -> Path:
    dbt = Dbt(tmp_path_factory.mktemp("cs360_home"))
    warehouse = fx.write_raw_fixture(tmp_path_factory.mktemp("cross_crm") / "warehouse.duckdb")
    fx.add_rows(warehouse, fx.cross_crm_rows())
    dbt(warehouse, "build", label="build")
    return warehouse


def crm_bridge(warehouse: Path) -> dict[tuple[str, str], tuple]:
    return {(r["source_system"], r["source_id"]): (r["account_id"], r["match_rule"], r["confidence"])
            for r in rows(warehouse, "select * from marts.identity_bridge "
                                     "where source_system in ('salesforce', 'hubspot')")}


def test_crm_records_are_matched_across_the_crms_one_to_one(crm_home):
    assert crm_bridge(crm_home) == {
        # the same customer number: one account, as before
        ("salesforce", fx.SF_ACME): (ACME, "crm_id", 1.0),
        ("hubspot", fx.HS_ACME): (ACME, "crm_id", 1.0),
        ("salesforce", fx.SF_STARK): (STARK, "crm_id", 1.0),
        # no AccountNumber, HubSpot's website: merged, the customer number kept
        ("salesforce", fx.SF_GLOBEX): (GLOBEX, "account_domain", 0.9),
        ("hubspot", fx.HS_GLOBEX): (GLOBEX, "crm_id", 1.0),
        # neither has a number, no website: merged by name under the Salesforce record's id
        ("salesforce", fx.SF_UMBRELLA): (UMBRELLA_MERGED, "crm_id", 1.0),
        ("hubspot", fx.HS_UMBRELLA): (UMBRELLA_MERGED, "normalized_name", 0.6),
        # gmail.com says nothing; 'Mom & Pop Bakery Ltd' = 'Mom & Pop Bakery'
        ("salesforce", fx.SF_BAKERY): (BAKERY, "normalized_name", 0.6),
        ("hubspot", fx.HS_BAKERY): (BAKERY, "crm_id", 1.0),
        # left undecided: every record stays an account of its own
        ("salesforce", fx.SF_INITECH): (INITECH, "crm_id", 1.0),
        ("hubspot", fx.HS_INITECH_UK): ("CUST-0011", "crm_id", 1.0),
        ("hubspot", fx.HS_INITECH): (f"hubspot:{fx.HS_INITECH}", "crm_id", 1.0),
        ("salesforce", fx.SF_WAYNE): (f"salesforce:{fx.SF_WAYNE}", "crm_id", 1.0),
        ("hubspot", fx.HS_SOYLENT): ("CUST-0013", "crm_id", 1.0),
        ("hubspot", fx.HS_WAYNE): ("CUST-0014", "crm_id", 1.0),
        ("salesforce", fx.SF_CYBERDYNE): (f"salesforce:{fx.SF_CYBERDYNE}", "crm_id", 1.0),
        ("hubspot", fx.HS_CYBERDYNE): ("CUST-0015", "crm_id", 1.0),
        ("hubspot", fx.HS_CYBERDYNE_JP): ("CUST-0016", "crm_id", 1.0),
        # deleted / archived records are in no bridge
    }


def test_identity_review_lists_undecided_crm_matches_with_the_reason(crm_home):
    review = {(r["source_system"], r["source_id"]): (r["review_reason"], r["candidate_accounts"])
              for r in rows(crm_home, "select * from marts.identity_review "
                                      "where source_system in ('salesforce', 'hubspot')")}
    sf = lambda record_id: f"salesforce:{record_id}"  # noqa: E731
    assert review == {
        # 'Initech' = 'Initech Ltd' = 'INITECH 株式会社': two candidates, no merge
        ("salesforce", fx.SF_INITECH): (
            "ambiguous_name", f"CUST-0011 (normalized_name), hubspot:{fx.HS_INITECH} (normalized_name)"),
        ("hubspot", fx.HS_INITECH_UK): ("not_one_to_one", f"{sf(fx.SF_INITECH)} (normalized_name)"),
        ("hubspot", fx.HS_INITECH): ("not_one_to_one", f"{sf(fx.SF_INITECH)} (normalized_name)"),
        # Soylent's website, Wayne's name
        ("salesforce", fx.SF_WAYNE): (
            "rules_disagree", "CUST-0013 (account_domain), CUST-0014 (normalized_name)"),
        ("hubspot", fx.HS_SOYLENT): ("not_one_to_one", f"{sf(fx.SF_WAYNE)} (account_domain)"),
        ("hubspot", fx.HS_WAYNE): ("not_one_to_one", f"{sf(fx.SF_WAYNE)} (normalized_name)"),
        # two HubSpot companies on one domain
        ("salesforce", fx.SF_CYBERDYNE): (
            "ambiguous_domain", "CUST-0015 (account_domain), CUST-0016 (account_domain)"),
        ("hubspot", fx.HS_CYBERDYNE): ("not_one_to_one", f"{sf(fx.SF_CYBERDYNE)} (account_domain)"),
        ("hubspot", fx.HS_CYBERDYNE_JP): ("not_one_to_one", f"{sf(fx.SF_CYBERDYNE)} (account_domain)"),
        # merged, but by name only: below identity_review_below
        ("salesforce", fx.SF_BAKERY): ("weak_match", "CUST-0006 (normalized_name)"),
        ("hubspot", fx.HS_UMBRELLA): ("weak_match", f"{UMBRELLA_MERGED} (normalized_name)"),
    }


def test_one_customer_in_both_crms_is_one_customer_360_row(crm_home):
    accounts = {r["account_id"]: (r["salesforce_account_id"], r["hubspot_company_id"])
                for r in rows(crm_home, "select * from marts.customer_360")}
    assert accounts == {
        ACME: (fx.SF_ACME, fx.HS_ACME),
        GLOBEX: (fx.SF_GLOBEX, fx.HS_GLOBEX),
        UMBRELLA_MERGED: (fx.SF_UMBRELLA, fx.HS_UMBRELLA),
        BAKERY: (fx.SF_BAKERY, fx.HS_BAKERY),
        INITECH: (fx.SF_INITECH, None),
        STARK: (fx.SF_STARK, None),
        "CUST-0011": (None, fx.HS_INITECH_UK),
        f"hubspot:{fx.HS_INITECH}": (None, fx.HS_INITECH),
        f"salesforce:{fx.SF_WAYNE}": (fx.SF_WAYNE, None),
        "CUST-0013": (None, fx.HS_SOYLENT),
        "CUST-0014": (None, fx.HS_WAYNE),
        f"salesforce:{fx.SF_CYBERDYNE}": (fx.SF_CYBERDYNE, None),
        "CUST-0015": (None, fx.HS_CYBERDYNE),
        "CUST-0016": (None, fx.HS_CYBERDYNE_JP),
    }
    # Umbrella's HubSpot deals, tenant and usage follow it to the merged account
    umbrella = one(crm_home, "select * from marts.customer_360 where account_id = ?", [UMBRELLA_MERGED])
    assert (umbrella["mrr"], umbrella["seats"], umbrella["n_tenants"]) == (1500, 15, 1)
    assert {r["account_id"] for r in rows(
        crm_home, "select account_id from intermediate.int_crm__contracts where source_system = 'hubspot' "
                  "and source_contract_id in ('9041', '9042')")} == {UMBRELLA_MERGED}


def test_the_sync_sends_one_score_to_both_records_of_a_merged_account(crm_home):
    from reverse_etl.mapping import load_mappings
    from reverse_etl.sync import read_model

    mappings = load_mappings()
    with duckdb.connect(str(crm_home), read_only=True) as con:
        columns = {r[0] for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'crm_account_health'").fetchall()}
        sent = {}
        for name in ("salesforce", "hubspot"):
            destination = mappings.destinations[name]
            model_rows, problems = read_model(con, mappings, destination, columns)
            assert problems == []
            sent[name] = {r["account_id"]: (r[destination.match_key], r["health_score"]) for r in model_rows}
        health = {r["account_id"]: r for r in rows(crm_home, "select * from marts.crm_account_health")}
    for account_id, sf_id, hs_id in [(GLOBEX, fx.SF_GLOBEX, fx.HS_GLOBEX),
                                     (UMBRELLA_MERGED, fx.SF_UMBRELLA, fx.HS_UMBRELLA)]:
        score = health[account_id]["health_score"]
        assert score is not None
        assert sent["salesforce"][account_id] == (sf_id, score)
        assert sent["hubspot"][account_id] == (hs_id, score)
    # the records merged away are no accounts of their own
    assert f"hubspot:{fx.HS_UMBRELLA}" not in health
    assert f"salesforce:{fx.SF_GLOBEX}" not in health
