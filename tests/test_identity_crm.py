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


# --- the S world: accounts kept in both CRMs, half of them without the AccountNumber ----------

def crm_record_truth(world_dir: Path) -> dict[tuple[str, str], str]:
    """(crm, record id) -> the world's account_id, for every CRM account record the sandbox
    seeds (the seeds create the records in the order of CrmWorld.in_crm)."""
    from sandbox.doubles.crm_world import load_crm_world
    from sandbox.doubles.hubspot_schema import seed_hubspot
    from sandbox.doubles.salesforce_seed import seed_salesforce

    crm = load_crm_world(world_dir)
    truth = {("salesforce", record_id): account.account_id
             for record_id, account in zip(seed_salesforce(crm)["Account"], crm.in_crm("salesforce"), strict=True)}
    companies = seed_hubspot(crm)[0]["companies"]
    truth |= {("hubspot", company_id): account.account_id
              for company_id, account in zip(companies, crm.in_crm("hubspot"), strict=True)}
    return truth


def measure_cross_crm_identity(warehouse: Path, world_dir: Path) -> dict[str, int]:
    """How the accounts kept in both CRMs came out, against the world's truth."""
    import pandas as pd

    from sandbox.doubles.crm_world import kept_in_both, salesforce_lacks_number
    from sandbox.world.format import read_table

    truth = pd.DataFrame([(crm, record_id, account_id) for (crm, record_id), account_id
                          in crm_record_truth(world_dir).items()],
                         columns=["source_system", "record_id", "true_account_id"])
    world_ids = read_table(world_dir, "accounts")["account_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.register("truth", truth)
        con.register("kept_in_both_crms", pd.DataFrame({"account_id": world_ids[world_ids.map(kept_in_both)],
                                           "unnumbered": world_ids[world_ids.map(kept_in_both)].map(
                                               salesforce_lacks_number)}))
        found = con.execute("""
            with records as (
                select truth.true_account_id, records.*
                from truth
                inner join intermediate.int_identity__crm_records as records using (source_system, record_id)
            ),
            per_account as (
                select true_account_id, count(distinct account_id) as n_accounts,
                       bool_and(account_id = true_account_id) as kept_number,
                       bool_or(is_merged and match_rule = 'account_domain') as merged_by_domain,
                       bool_or(is_merged and match_rule = 'normalized_name') as merged_by_name,
                       bool_or(is_conflict) as in_review
                from records
                group by true_account_id
            )
            select
                count(*) as kept_in_both,
                count(*) filter (where unnumbered) as without_salesforce_number,
                count(*) filter (where n_accounts = 1 and kept_number) as one_account,
                count(*) filter (where merged_by_domain) as merged_by_domain,
                count(*) filter (where merged_by_name) as merged_by_name,
                count(*) filter (where n_accounts > 1) as two_accounts,
                count(*) filter (where n_accounts > 1 and in_review) as two_accounts_in_review,
                -- records of different customers under one account_id: must never happen
                (select count(*) from (select account_id from records group by account_id
                                       having count(distinct true_account_id) > 1)) as wrong_merges,
                (select count(*) from intermediate.int_crm__accounts) as warehouse_accounts
            from kept_in_both_crms as accounts
            inner join per_account on accounts.account_id = per_account.true_account_id
        """).fetchone()
        names = [c[0] for c in con.description]
    return {**dict(zip(names, found, strict=True)), "world_accounts": len(world_ids)}


@pytest.fixture(scope="module")
def s_world(tmp_path_factory) -> tuple[Path, Path]:
    from sandbox.world.generator import generate_world

    root = tmp_path_factory.mktemp("s_world")
    generate_world(root / "world", size="S", seed=42)
    warehouse = fx.write_raw_from_world(root / "world", root / "warehouse.duckdb")
    Dbt(tmp_path_factory.mktemp("cs360_home"))(warehouse, "build", "--select", "+int_crm__accounts",
                                                 "--indirect-selection", "cautious")
    return root / "world", warehouse


@pytest.mark.slow
def test_s_world_accounts_kept_in_both_crms_resolve_to_one_account(s_world):
    """S, seed 42: 22 accounts kept in both CRMs, 20 of them without the AccountNumber in
    Salesforce (each was two accounts before cross-CRM matching: 220 in the warehouse)."""
    world_dir, warehouse = s_world
    figures = measure_cross_crm_identity(warehouse, world_dir)
    print(f"\nS world, seed 42: {figures}")
    assert figures == {
        "kept_in_both": 22, "without_salesforce_number": 20,
        "one_account": 22, "merged_by_domain": 11, "merged_by_name": 9,
        "two_accounts": 0, "two_accounts_in_review": 0, "wrong_merges": 0,
        "warehouse_accounts": 200, "world_accounts": 200,
    }
