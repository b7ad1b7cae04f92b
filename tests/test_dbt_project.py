"""The dbt project (dbt_project/) built on fabricated raw tables.

tests/dbt_raw_fixture.py writes every raw dataset of docs/architecture.md with
hand-checkable rows. Every dbt call runs with CS360_HOME, target/ and logs/ in one
temporary folder (so nothing is written into the repository, and later calls reuse dbt's
partial parse); each scenario's warehouse is moved into that folder for its run:

* home       the fixture, `dbt build` (models, seeds, every YAML / singular / unit test)
* cut_home   the fixture without the events of 2024-06-30, built (today = 06-29): a
             world cut at 06-29, which must agree with home on every earlier day; then
             those events arrive and the daily (incremental) run adds the new day
* absent_home the fixture without HubSpot, Freshdesk, the survey tool and the LMS, and
             without columns dlt never created, `dbt build` with every test
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"

# load the helper by path: works whether or not tests/ is a package
_spec = importlib.util.spec_from_file_location("dbt_raw_fixture", Path(__file__).with_name("dbt_raw_fixture.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

ACME, GLOBEX, INITECH, UMBRELLA, STARK, BAKERY = (
    fx.ACCOUNT_IDS[k] for k in ("acme", "globex", "initech", "umbrella", "stark", "bakery"))
TODAY = fx.WORLD_TODAY  # 2024-06-30

# run dbt's own entry point with the interpreter running the tests
DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"
NO_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
# what the module fixtures saw along the way (dbt's unit test results, the 06-29 state)
SEEN: dict[str, object] = {}


class Dbt:
    """All dbt calls share one CS360_HOME (and so one target/ with dbt's partial parse);
    the warehouse of a scenario is moved in for the call and back out afterwards."""

    # the hand-checked figures below are those of scorecard v1 (tests/test_score_components.py checks v2)
    V1 = "{scorecard_version: v1}"

    def __init__(self, root: Path, dbt_vars: str | None = V1) -> None:
        self.root = root
        self.dbt_vars = dbt_vars
        self.seconds: dict[str, float] = {}

    def __call__(self, warehouse: Path, *args: str, label: str | None = None) -> subprocess.CompletedProcess:
        live = self.root / "warehouse.duckdb"
        shutil.move(warehouse, live)
        env = {**os.environ, "CS360_HOME": str(self.root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        command = [
            sys.executable, "-c", DBT_MAIN, *args,
            *(["--vars", self.dbt_vars] if self.dbt_vars else []),
            "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT),
            "--target-path", str(self.root / "dbt" / "target"),
            "--log-path", str(self.root / "dbt" / "logs"),
        ]
        started = time.perf_counter()
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        finally:
            shutil.move(live, warehouse)
        self.seconds[label or " ".join(args)] = time.perf_counter() - started
        assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
        return result

    def run_results(self) -> dict:
        return json.loads((self.root / "dbt" / "target" / "run_results.json").read_text())


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(warehouse: Path, sql: str, params: list | None = None) -> dict:
    found = rows(warehouse, sql, params)
    assert len(found) == 1, f"{len(found)} rows for {sql} {params}"
    return found[0]


def score_on(warehouse: Path, account_id: str, day: date) -> dict:
    return one(warehouse, "select * from marts.health_scores where account_id = ? and as_of_date = ?",
               [account_id, day])


def day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture(scope="module")
def dbt(tmp_path_factory) -> Dbt:
    return Dbt(tmp_path_factory.mktemp("cs360_home"))


@pytest.fixture(scope="module")
def home(dbt, tmp_path_factory) -> Path:
    """The fixture world, built once with every test."""
    warehouse = fx.write_raw_fixture(tmp_path_factory.mktemp("fixture") / "warehouse.duckdb")
    dbt(warehouse, "build", label="build")
    SEEN["unit_tests"] = [r for r in dbt.run_results()["results"] if r["unique_id"].startswith("unit_test.")]
    print(f"\ndbt build on the fixture: {dbt.seconds['build']:.1f}s")
    return warehouse


@pytest.fixture(scope="module")
def cut_home(dbt, home, tmp_path_factory) -> Path:
    """The world as it was at the end of 2024-06-29, scored; then 06-30's events arrive and
    the daily (incremental) run adds the new day."""
    warehouse = fx.write_raw_fixture(tmp_path_factory.mktemp("cut") / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table main.held_back as select * from raw_product.events "
                    "where occurred_at >= timestamptz '2024-06-30 00:00:00+00'")
        con.execute("delete from raw_product.events where occurred_at >= timestamptz '2024-06-30 00:00:00+00'")
        SEEN["held_back"] = con.execute("select event_id from main.held_back").fetchall()
    dbt(warehouse, "build", *NO_TESTS, label="cut build")
    SEEN["before"] = {
        "today": one(warehouse, "select as_of_date from intermediate.int_calendar__as_of_date")["as_of_date"],
        "scores": rows(warehouse, "select * from marts.health_scores order by account_id, as_of_date"),
        "c360": rows(warehouse, "select * from marts.customer_360 order by account_id"),
        "alerts": rows(warehouse, "select * from marts.alerts"),
    }
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"insert into raw_product.events select * replace ('{fx.NEXT_LOAD_ID}' as _dlt_load_id) "
                    "from main.held_back")  # the next load, as dlt writes it
        con.execute("drop table main.held_back")
    dbt(warehouse, "build", *NO_TESTS, label="incremental run")
    return warehouse


@pytest.fixture(scope="module")
def absent_home(dbt, home, tmp_path_factory) -> Path:
    """A company with Salesforce, the product and Zendesk only; dlt never created the
    columns that were always empty."""
    warehouse = fx.write_raw_fixture(
        tmp_path_factory.mktemp("absent") / "warehouse.duckdb",
        absent=("hubspot", "freshdesk", "surveys", "training"),
        drop_columns={"raw_product.tenants": ["crm_account_id"],
                      "raw_zendesk.tickets": ["satisfaction_rating__score"],
                      "raw_zendesk.ticket_metrics": ["full_resolution_time_in_minutes__calendar"]},
    )
    dbt(warehouse, "build", label="build, optional systems absent")
    return warehouse


# --- customer_360 ---------------------------------------------------------------------------

def test_customer_360_has_one_row_per_account(home):
    accounts = {a["account_id"]: a for a in rows(home, "select * from marts.customer_360")}
    assert sorted(accounts) == sorted(fx.ACCOUNT_IDS.values())

    acme = accounts[ACME]  # kept in both CRMs under the same customer number: one account
    assert acme["salesforce_account_id"] == fx.SF_ACME
    assert acme["hubspot_company_id"] == fx.HS_ACME
    assert acme["domain"] == "acme.example"            # from 'https://www.Acme.example/home'
    assert acme["owner_csm"] == "csm.alice@vendor.example"  # Salesforce owner wins
    assert acme["n_tenants"] == 3                      # t-acme, t-acme-2 and the shared workspace
    assert accounts[GLOBEX]["n_tenants"] == 2
    assert accounts[UMBRELLA]["domain"] == "umbrella.example"
    assert accounts[UMBRELLA]["owner_csm"] == "csm.dave@vendor.example"  # lower-cased
    assert [a for a, row in accounts.items() if row["is_churned"]] == [INITECH]


def test_customer_360_has_every_contract_column(home):
    columns = {r["column_name"] for r in rows(
        home, "select column_name from information_schema.columns "
              "where table_schema = 'marts' and table_name = 'customer_360'")}
    required = [
        "account_id", "salesforce_account_id", "hubspot_company_id", "name", "domain", "owner_csm",
        "lifecycle_stage", "mrr", "seats", "renewal_date", "days_to_renewal", "active_users_30d",
        "utilization_30d", "logins_30d", "logins_trend_30d", "open_tickets", "tickets_90d",
        "sla_breach_rate_90d", "csat_90d", "nps", "nps_responses_180d", "nps_response_rate_180d",
        "trainings_completed", "onboarding_completed", "health_score", "health_band", "churn_risk",
    ]
    assert [c for c in required if c not in columns] == []


def test_customer_360_for_acme_today_by_hand(home):
    acme = one(home, "select * from marts.customer_360 where account_id = ?", [ACME])
    assert acme["as_of_date"] == TODAY
    assert acme["lifecycle_stage"] == "adoption"
    assert (acme["mrr"], acme["seats"]) == (1000, 10)   # the deleted 99-seat contract is ignored
    assert (acme["renewal_date"], acme["days_to_renewal"]) == (date(2025, 1, 1), 185)
    assert (acme["active_users_30d"], acme["logins_30d"]) == (4, 20)
    assert acme["utilization_30d"] == pytest.approx(0.4)
    assert acme["logins_trend_30d"] == pytest.approx(-0.375)  # 20 vs 32
    # support: T3 and T4 are open; 3 of the 4 tickets of 90 days breached; 1 good, 1 bad rating
    assert (acme["open_tickets"], acme["tickets_90d"]) == (2, 4)
    assert acme["sla_breach_rate_90d"] == pytest.approx(0.75)
    assert acme["csat_90d"] == pytest.approx(0.5)
    assert acme["median_first_response_minutes_90d"] == pytest.approx(120)   # 30, 120, 300 (T4: none yet)
    assert acme["median_resolution_minutes_90d"] == pytest.approx(870)       # 360, 1380
    # voice: 7, 3, 8 in 180 days -> (0 promoters - 1 detractor) / 3; 4 invitations, 3 answered
    assert acme["nps"] == pytest.approx(-33.3)
    assert (acme["nps_responses_180d"], acme["nps_response_rate_180d"]) == (3, pytest.approx(0.75))
    # training: the onboarding course (01-20) and a webinar (04-10) completed
    assert (acme["trainings_completed"], acme["people_trained"], acme["onboarding_completed"]) == (2, 2, True)
    assert (acme["health_score"], acme["health_band"]) == (pytest.approx(50.0), "yellow")
    # a plain dbt build has no churn model: no risk and the reason, never a band's churn rate
    assert (acme["churn_risk"], acme["churn_drivers"]) == (None, None)
    assert acme["churn_null_reason"] == "no churn prediction for the latest scored day"


def test_customer_360_stages_and_systems_without_data(home):
    accounts = {a["account_id"]: a for a in rows(home, "select * from marts.customer_360")}
    assert accounts[UMBRELLA]["lifecycle_stage"] == "renewal"   # term ends 2024-08-01
    assert (accounts[UMBRELLA]["days_to_renewal"], accounts[UMBRELLA]["seats"]) == (32, 15)
    assert accounts[INITECH]["lifecycle_stage"] == "churned"
    assert accounts[INITECH]["mrr"] is None
    stark = accounts[STARK]  # a contract but no product tenant: no usage, never set up, no score
    assert stark["lifecycle_stage"] == "onboarding"
    assert stark["n_tenants"] == 0 and stark["active_users_30d"] is None
    assert stark["health_score"] is None
    # Globex answered once (a 10): NPS 100; no survey for Umbrella: NULL, not 0
    assert (accounts[GLOBEX]["nps"], accounts[GLOBEX]["nps_responses_180d"]) == (pytest.approx(100), 1)
    assert accounts[UMBRELLA]["nps"] is None and accounts[UMBRELLA]["nps_response_rate_180d"] is None


# --- identity ---------------------------------------------------------------------------------

def test_identity_bridge_applies_each_rule_in_order(home):
    bridge = {(r["source_system"], r["source_id"]): (r["account_id"], r["match_rule"], r["confidence"])
              for r in rows(home, "select * from marts.identity_bridge")}
    expected = {
        # tenants: the rules in order
        ("product", "t-globex-2"): (GLOBEX, "crm_id", 1.0),             # stores 'cust-0002'
        ("product", "t-initech"): (INITECH, "contact_email", 0.95),     # signup is a CRM contact
        ("product", "t-acme"): (ACME, "email_domain", 0.9),             # 7 addresses at acme.example
        ("product", "t-umbrella"): (UMBRELLA, "email_domain", 0.9),
        ("product", "t-acme-2"): (ACME, "normalized_name", 0.6),        # 'ACME Corp.' = 'Acme Corporation'
        # free mail: gmail.com is the Bakery's domain, yet Globex's gmail people never match it
        ("product", "t-globex"): (GLOBEX, "normalized_name", 0.6),
        ("product", "t-shared"): (ACME, "email_domain", 0.6),           # 2 of 3 addresses: 0.9 x 2/3
        ("product", "t-hooli"): (None, "unmatched", 0.0),
        # people
        ("product_user", "u-acme-1"): (ACME, "email_domain", 0.9),
        ("product_user", "u-globex-1"): (GLOBEX, "product_tenant", 0.8),  # gmail: through the tenant
        ("product_user", "u-shared-2"): (UMBRELLA, "email_domain", 0.9),
        ("product_user", "u-hooli-1"): (None, "unmatched", 0.0),
        ("zendesk", "9001"): (ACME, "contact_email", 0.95),             # 'Taro@Acme.example'
        ("zendesk", "9002"): (None, "unmatched", 0.0),
        ("freshdesk", "301"): (ACME, "email_domain", 0.9),
        ("freshdesk", "302"): (GLOBEX, "product_tenant", 0.8),
        ("surveys", "admin@acme.example"): (ACME, "email_domain", 0.9),
        ("surveys", "hanako@globex.example"): (GLOBEX, "contact_email", 0.95),
        ("surveys", "pat@consult.example"): (None, "conflict", 0.0),    # a contact of Acme and of Globex
        ("training", "peter@initech.example"): (INITECH, "contact_email", 0.95),
        ("training", "external@gmail.com"): (None, "unmatched", 0.0),
    }
    assert {k: bridge.get(k) for k in expected} == expected
    # the agent who never asked anything is no requester; every tenant is in the bridge
    assert ("zendesk", "9003") not in bridge
    assert {k[1] for k in bridge if k[0] == "product"} == set(fx.TENANT_ACCOUNT)
    assert {k[1]: v[0] for k, v in bridge.items() if k[0] == "product"} == fx.TENANT_ACCOUNT
    # (the Bakery's own HubSpot record is in the bridge: it belongs to the Bakery by its number)
    assert not any(v[0] == BAKERY for k, v in bridge.items() if k[0] not in ("salesforce", "hubspot"))
    # CRM records: by their customer number, or as accounts of their own
    assert {k: v for k, v in bridge.items() if k[0] in ("salesforce", "hubspot")} == {
        ("salesforce", fx.SF_ACME): (ACME, "crm_id", 1.0), ("hubspot", fx.HS_ACME): (ACME, "crm_id", 1.0),
        ("salesforce", fx.SF_INITECH): (INITECH, "crm_id", 1.0),
        ("salesforce", fx.SF_STARK): (STARK, "crm_id", 1.0),
        ("hubspot", fx.HS_GLOBEX): (GLOBEX, "crm_id", 1.0),
        ("hubspot", fx.HS_UMBRELLA): (UMBRELLA, "crm_id", 1.0),
        ("hubspot", fx.HS_BAKERY): (BAKERY, "crm_id", 1.0),
    }


def test_identity_review_lists_conflicts_unmatched_and_weak_matches(home):
    review = {(r["source_system"], r["source_id"]): r for r in rows(home, "select * from marts.identity_review")}
    reasons = {k: r["review_reason"] for k, r in review.items()}
    assert reasons == {
        ("product", "t-shared"): "conflict_majority",
        ("surveys", "pat@consult.example"): "conflict_unresolved",
        ("product", "t-hooli"): "unmatched",
        ("product_user", "u-hooli-1"): "unmatched",
        ("product_user", "u-hooli-2"): "unmatched",
        ("zendesk", "9002"): "unmatched",
        ("training", "external@gmail.com"): "unmatched",
        ("product", "t-acme-2"): "weak_match",
        ("product", "t-globex"): "weak_match",
    }
    assert review[("product", "t-shared")]["candidate_accounts"] == f"{ACME} (2), {UMBRELLA} (1)"
    assert review[("surveys", "pat@consult.example")]["candidate_accounts"] == f"{ACME} (1), {GLOBEX} (1)"


def test_a_term_kept_in_both_crms_counts_once(home):
    contracts = rows(home, "select * from intermediate.int_crm__contracts where account_id = ?", [ACME])
    assert [(c["source_system"], c["start_date"], c["end_date"]) for c in contracts] == [
        ("salesforce", date(2024, 1, 1), date(2025, 1, 1))]


def test_contract_outcomes_come_from_the_crms(home):
    outcomes = {r["contract_id"]: (r["outcome"], r["churn_evidence"])
                for r in rows(home, "select * from intermediate.int_crm__contract_outcomes")}
    assert outcomes["salesforce:800000000000003AAA"] == ("churned", "closed_lost_renewal")  # Initech
    assert outcomes["hubspot:9041"] == ("renewed", None)                                    # Umbrella 2022
    assert outcomes["hubspot:9042"] == ("open", None)
    assert outcomes["salesforce:800000000000001AAA"] == ("open", None)


# --- health score -----------------------------------------------------------------------------

def test_health_score_by_hand_for_acme_on_today(home):
    """Acme on 2024-06-30, adoption scorecard v1 (seeds); see the fixture docstring.

    component     value                  floor..target  score  weight  contribution = w / 0.9 x score
    utilization   4 / 10 seats = 0.40    0 .. 0.6       66.7   0.15    11.11
    usage         20 / 10 = 2.0 per seat 0 .. 2         100    0.25    27.78
    usage_trend   20 / 32 = 0.625        0.5 .. 1.0     25     0.10     2.78
    breadth       2 / 8 = 0.25           0.25 .. 1.0     0     0.10     0
    support       4 / 10 = 0.4 per seat  0.15 .. 0       0     0.05     0
    csat          1 of 2 good = 0.5      0.5 .. 1.0      0     0.05     0
    sentiment     NPS -33.3              -50 .. 50      16.7   0.15     2.78
    training      2 / 10 seats = 0.2     0 .. 0.15      100    0.05     5.56
    relationship  first term: no data                          0.10     -    -> coverage 0.9
                                                               total   50.0 -> yellow
    Points lost (w / 0.9 x (100 - score)): sentiment 13.9, breadth 11.1, trend 8.3, ...
    """
    row = score_on(home, ACME, TODAY)
    assert (row["lifecycle_stage"], row["scorecard_version"]) == ("adoption", "v1")
    assert (row["seats"], row["active_users_30d"], row["logins_30d"], row["logins_prev_30d"]) == (10, 4, 20, 32)
    assert (row["features_used_30d"], row["features_available"]) == (2, 8)
    scores = {c: row[f"{c}_score"] for c in ("utilization", "usage", "usage_trend", "breadth", "support", "csat",
                                                 "sentiment", "training", "relationship")}
    assert scores == {"utilization": pytest.approx(66.7), "usage": 100, "usage_trend": 25, "breadth": 0,
                      "support": 0, "csat": 0, "sentiment": pytest.approx(16.7), "training": 100,
                      "relationship": None}
    assert row["utilization_contribution"] == pytest.approx(11.11)
    assert row["usage_contribution"] == pytest.approx(27.78)
    assert row["usage_trend_contribution"] == pytest.approx(2.78)
    assert row["sentiment_contribution"] == pytest.approx(2.78)
    assert row["training_contribution"] == pytest.approx(5.56)
    assert row["relationship_contribution"] is None
    assert row["coverage"] == pytest.approx(0.9)
    assert (row["health_score"], row["health_band"]) == (pytest.approx(50.0), "yellow")
    assert row["top_reasons"] == (
        "NPS -33 from 3 survey responses in 180 days; 2 of 8 features used in 30 days; "
        "logins fell 38% vs previous 30 days"
    )


def test_components_without_data_are_left_out_and_the_rest_reweighted(home):
    """Globex on 2024-05-01 (adoption): no logins 30-60 days before (no trend), no rating,
    no survey answer, a first term (no relationship). The weights with data are
    utilization 0.15 + usage 0.25 + breadth 0.10 + support 0.05 + training 0.05 = 0.60."""
    row = score_on(home, GLOBEX, date(2024, 5, 1))
    assert row["lifecycle_stage"] == "adoption"
    assert all(row[f"{c}_score"] is None for c in ("usage_trend", "csat", "sentiment", "relationship"))
    assert (row["support_score"], row["training_score"]) == (100, 0)   # no tickets yet, nobody trained
    assert row["coverage"] == pytest.approx(0.6)
    expected = (0.15 * row["utilization_score"] + 0.25 * row["usage_score"] + 0.10 * row["breadth_score"]
                + 0.05 * 100 + 0.05 * 0) / 0.6
    assert row["health_score"] == pytest.approx(expected, abs=0.1)


def test_lifecycle_stage_follows_setup_usage_and_the_renewal_window(home):
    stage = lambda account, text: score_on(home, account, day(text))["lifecycle_stage"]  # noqa: E731
    # Acme: onboarding course done 01-20, first use 02-10 -> adoption from 02-10
    assert stage(ACME, "2024-02-09") == "onboarding"
    assert stage(ACME, "2024-02-10") == "adoption"
    # Globex: no course; its 3rd person is first active on 04-18 -> adoption from 04-18
    assert stage(GLOBEX, "2024-04-17") == "onboarding"
    assert stage(GLOBEX, "2024-04-18") == "adoption"
    # Umbrella: renewal within 90 days of each term's end (2023-08-01, 2024-08-01)
    assert stage(UMBRELLA, "2023-07-15") == "renewal"
    assert stage(UMBRELLA, "2023-12-01") == "adoption"
    assert stage(UMBRELLA, "2024-05-02") == "adoption"
    assert stage(UMBRELLA, "2024-05-03") == "renewal"
    setup = one(home, "select setup_done_on from intermediate.int_health__daily_components "
                      "where account_id = ? and as_of_date = ?", [ACME, TODAY])
    assert setup["setup_done_on"] == date(2024, 2, 10)


def test_scores_are_in_range_contributions_add_up_and_bands_follow_the_seed(home):
    components = ["utilization", "usage", "usage_trend", "breadth", "support", "csat", "sentiment", "training",
                  "relationship"]
    contributions = " - ".join(f"coalesce({c}_contribution, 0)" for c in components)
    bad = rows(home, f"""
        select * from marts.health_scores
        where health_score not between 0 and 100
           or abs(health_score - {contributions}) > 0.5
           or health_band <> case when health_score >= 70 then 'green'
                                  when health_score >= 40 then 'yellow' else 'red' end
           or coverage < 0.5
    """)
    assert bad == []


def test_health_scores_cover_the_last_365_days_without_gaps(home):
    spans = {r["account_id"]: r for r in rows(
        home, "select account_id, count(*) as n, min(as_of_date) as first_day, max(as_of_date) as last_day "
              "from marts.health_scores group by account_id")}
    assert set(spans) == {ACME, GLOBEX, INITECH, UMBRELLA}   # Stark has no product data, the Bakery no contract
    assert (spans[ACME]["first_day"], spans[ACME]["last_day"], spans[ACME]["n"]) == (date(2024, 1, 1), TODAY, 182)
    assert (spans[GLOBEX]["first_day"], spans[GLOBEX]["n"]) == (date(2024, 4, 15), 77)
    assert (spans[UMBRELLA]["first_day"], spans[UMBRELLA]["n"]) == (date(2023, 7, 2), 365)
    # churned: scored until its last covered day
    assert (spans[INITECH]["first_day"], spans[INITECH]["last_day"]) == (date(2023, 7, 2), date(2024, 4, 30))


def test_health_score_current_has_the_latest_row_and_the_30_day_change(home):
    current = {r["account_id"]: r for r in rows(home, "select * from marts.health_score_current")}
    assert set(current) == {ACME, GLOBEX, INITECH, UMBRELLA}
    assert current[INITECH]["as_of_date"] == date(2024, 4, 30)
    for account_id, row in current.items():
        earlier = score_on(home, account_id, row["as_of_date"] - timedelta(days=30))
        assert row["score_change_30d"] == pytest.approx(row["health_score"] - earlier["health_score"], abs=0.01)
    crm = {r["account_id"]: r for r in rows(home, "select * from marts.crm_account_health")}
    assert set(crm) == set(current)
    assert crm[ACME]["health_score"] == current[ACME]["health_score"]
    # no churn model in a plain dbt build: the CRMs get no risk, and the reason instead of a band constant
    assert {(r["churn_risk"], r["churn_drivers"], r["churn_null_reason"]) for r in crm.values()} == {
        (None, None, "no churn prediction for the latest scored day")}


# --- support and NPS --------------------------------------------------------------------------

def test_support_tickets_sla_and_csat_by_hand(home):
    tickets = {r["ticket_key"]: r for r in rows(home, "select * from marts.support_tickets")}
    t2, t3, t4 = tickets["zendesk:1002"], tickets["freshdesk:2001"], tickets["freshdesk:2002"]
    assert (t2["priority"], t2["first_response_minutes"], t2["resolution_minutes"]) == ("high", 300, 1380)
    assert (t2["first_response_breached"], t2["resolution_breached"]) == (True, False)
    assert t2["breached_at"] == datetime(2024, 6, 12, 13, 0)          # 4 hours after creation
    assert (t3["priority"], t3["status"], t3["first_response_breached"], t3["resolution_breached"]) == (
        "normal", "open", False, True)
    assert t3["breached_at"] == datetime(2024, 6, 22, 10, 0)          # resolution due after 2 days
    assert t4["breached_at"] == datetime(2024, 6, 30, 20, 0)          # no reply within a day
    assert tickets["zendesk:1003"]["priority"] == "normal" and tickets["zendesk:1003"]["account_id"] is None
    assert tickets["freshdesk:2003"]["csat"] == "good"                 # 103 = extremely happy
    assert "zendesk:1004" not in tickets and "freshdesk:2004" not in tickets  # deleted in the help desk
    # point in time: on 06-21 only T2 had breached; T3 breached on 06-22
    daily = {r["as_of_date"]: r for r in rows(
        home, "select * from intermediate.int_support__account_daily where account_id = ? "
              "and as_of_date between '2024-06-20' and '2024-06-22'", [ACME])}
    assert [(daily[d]["tickets_90d"], daily[d]["sla_breaches_90d"], daily[d]["open_tickets"])
            for d in sorted(daily)] == [(3, 1, 1), (3, 1, 1), (3, 2, 1)]
    metrics = one(home, "select * from marts.support_metrics where month = '2024-06-01' "
                        "and help_desk = 'zendesk' and priority = 'high'")
    assert (metrics["tickets"], metrics["sla_first_response_minutes"], metrics["first_response_breaches"],
            metrics["sla_breach_rate"], metrics["csat"]) == (1, 240, 1, 1.0, 0.0)


def test_nps_metrics_by_hand(home):
    june = one(home, "select * from marts.nps_metrics where month = '2024-06-01' and survey = 'relationship'")
    # sent I2, I3, I4, I6; answered I2 (3), I3 (8), I6 (2)
    assert (june["invitations_sent"], june["invitations_answered"]) == (4, 3)
    assert june["response_rate"] == pytest.approx(0.75)
    assert (june["promoters"], june["passives"], june["detractors"]) == (0, 1, 2)
    assert june["nps"] == pytest.approx(-66.7)


# --- alerts, renewals, validation ------------------------------------------------------------

def test_each_alert_is_raised_once(home):
    alerts = rows(home, "select * from marts.alerts order by created_at, kind")
    assert [(a["account_id"], a["kind"], a["triggered_on"]) for a in alerts] == [
        (UMBRELLA, "usage_drop", date(2024, 5, 17)),       # logins 29 vs 60 in the 30 days before
        (UMBRELLA, "score_drop", date(2024, 5, 19)),
        (UMBRELLA, "renewal_at_risk", date(2024, 5, 29)),  # red, 64 days before 08-01
        (ACME, "score_drop", date(2024, 6, 15)),
        (ACME, "nps_detractor", date(2024, 6, 15)),
    ]
    by_kind = {a["kind"] if a["account_id"] == UMBRELLA else f"acme {a['kind']}": a for a in alerts}
    detractor = by_kind["acme nps_detractor"]
    assert detractor["created_at"] == datetime(2024, 6, 15, 10, 0)   # the moment of the response
    assert detractor["details"] == 'NPS 3 from admin@acme.example (relationship): "too slow lately"'
    assert by_kind["usage_drop"]["details"].startswith("logins fell 52% (29 in the last 30 days vs 60")
    assert by_kind["renewal_at_risk"]["details"].startswith("renewal on 2024-08-01 (in 64 days")
    assert by_kind["renewal_at_risk"]["is_open"] is True and by_kind["usage_drop"]["is_open"] is False


def test_renewals_list_open_contracts_with_their_risk(home):
    renewals = rows(home, "select * from marts.renewals")
    assert [(r["account_id"], r["renewal_date"], r["mrr"], r["health_band"], r["renewal_risk"])
            for r in renewals] == [(UMBRELLA, date(2024, 8, 1), 1500, "red", "high")]


def rank_auc(pairs: list[tuple[float, bool]]) -> float | None:
    """P(churned scored lower than retained), ties half: the definition, pair by pair."""
    churned = [s for s, c in pairs if c]
    retained = [s for s, c in pairs if not c]
    if not churned or not retained:
        return None
    wins = sum(1.0 if r > c else 0.5 if r == c else 0.0 for c in churned for r in retained)
    return wins / (len(churned) * len(retained))


def test_score_validation_matches_the_labels_and_a_pairwise_auc(home):
    # the hand-checked cases of score_validation and alert_validation (YAML unit tests)
    assert sorted((u["unique_id"].split(".")[-1], u["status"]) for u in SEEN["unit_tests"]) == [
        ("alert_validation_by_hand", "pass"), ("score_validation_by_hand", "pass")]
    validation = rows(home, "select * from marts.score_validation where model = 'health_score' and scope = 'date' "
                            "order by evaluated_on, horizon_days")
    assert {(v["evaluated_on"], v["horizon_days"]) for v in validation} == (
        {(date(2023, m, 1), h) for m in range(8, 13) for h in (90, 180)}
        | {(date(2024, m, 1), 90) for m in range(1, 5)} | {(date(2024, 1, 1), 180)})
    churned = {(v["evaluated_on"], v["horizon_days"]) for v in validation if v["n_churned"]}
    # Initech's contract ends 2024-05-01 unrenewed: churned within 90 days of 02-01 .. 04-01
    assert churned == {(date(2023, 12, 1), 180), (date(2024, 1, 1), 180), (date(2024, 2, 1), 90),
                       (date(2024, 3, 1), 90), (date(2024, 4, 1), 90)}
    every_pair: dict[int, list] = {90: [], 180: []}
    for v in validation:
        scores = rows(home, "select account_id, health_score from marts.health_scores where as_of_date = ?",
                      [v["evaluated_on"]])
        end = v["evaluated_on"] + timedelta(days=v["horizon_days"])
        labeled = [(s["health_score"], s["account_id"] == INITECH and v["evaluated_on"] < date(2024, 5, 1) <= end)
                   for s in scores]
        every_pair[v["horizon_days"]] += labeled
        assert v["n_accounts"] == len(labeled)
        assert v["n_churned"] == sum(c for _, c in labeled)
        expected = rank_auc(labeled)
        assert v["auc"] == (None if expected is None else pytest.approx(expected, abs=1e-4))
        assert v["model_version"] == "v1"
    # the pooled rows judge every (E, account) pair at once; one scorecard version: its row is the same
    for horizon, labeled in every_pair.items():
        summary = rows(home, "select * from marts.score_validation where model = 'health_score' and scope <> 'date' "
                             "and horizon_days = ? order by scope", [horizon])
        assert [(r["scope"], r["model_version"]) for r in summary] == [("pooled", "all"), ("version", "v1")]
        for row in summary:
            assert (row["n_dates"], row["n_accounts"]) == ({90: 9, 180: 6}[horizon], len(labeled))
            assert row["auc"] == pytest.approx(rank_auc(labeled), abs=1e-4)


# --- incremental, point in time, absent systems --------------------------------------------

def test_daily_incremental_run_adds_the_day_and_matches_a_full_refresh(home, cut_home):
    before = SEEN["before"]
    assert before["today"] == date(2024, 6, 29)          # a world cut at 06-29 is a valid world
    assert {r["as_of_date"] for r in before["c360"]} == {date(2024, 6, 29)}
    after = rows(cut_home, "select * from marts.health_scores order by account_id, as_of_date")
    full = rows(home, "select * from marts.health_scores order by account_id, as_of_date")
    first_full_day = min(r["as_of_date"] for r in full)
    assert first_full_day == date(2023, 7, 2)
    # the incremental table keeps the day that has since left the 365-day window ...
    assert {r["as_of_date"] for r in after if r["as_of_date"] < first_full_day} == {date(2023, 7, 1)}
    # ... and otherwise holds exactly the rows a full refresh builds
    assert [r for r in after if r["as_of_date"] >= first_full_day] == full
    # the run added 06-30; the days before it are what the 06-29 run had scored
    added = {r["as_of_date"] for r in after} - {r["as_of_date"] for r in before["scores"]}
    assert added == {TODAY}
    assert [r for r in after if r["as_of_date"] < TODAY] == before["scores"]
    # the events table read only the new load, and holds what the full build holds
    events = "select * exclude (dlt_load_id) from staging.stg_product__events order by event_id"
    assert rows(cut_home, events) == rows(home, events)
    assert one(cut_home, "select count(*) as n from staging.stg_product__events where dlt_load_id = ?",
               [fx.NEXT_LOAD_ID])["n"] == len(SEEN["held_back"]) > 0


def test_later_data_does_not_change_earlier_days(home, cut_home):
    """The world as of 06-29 and the world as of 06-30, each built in full, agree on every
    day up to 06-29 (the 06-29 build scores one more day at the start of its window)."""
    before = [r for r in SEEN["before"]["scores"] if r["as_of_date"] >= date(2023, 7, 2)]
    full = rows(home, "select * from marts.health_scores where as_of_date < ? order by account_id, as_of_date",
                [TODAY])
    assert len(full) > 900
    assert before == full
    # the new day sees what happened on it: u-acme-1's login at 23:30 UTC (08:30 +09:00 on 07-01)
    assert score_on(home, ACME, TODAY)["last_activity_on"] == TODAY
    # alerts keep their ids
    ids = lambda alerts: {(a["account_id"], a["kind"], a["triggered_on"]): a["alert_id"]  # noqa: E731
                          for a in alerts}
    assert ids(SEEN["before"]["alerts"]) == {k: v for k, v in ids(rows(home, "select * from marts.alerts")).items()
                                            if k[2] < TODAY}


def test_build_succeeds_without_the_optional_systems(absent_home):
    accounts = {a["account_id"]: a for a in rows(absent_home, "select * from marts.customer_360")}
    assert sorted(accounts) == sorted([ACME, INITECH, STARK])   # the HubSpot-only accounts are gone
    acme = accounts[ACME]
    assert acme["hubspot_company_id"] is None and acme["n_tenants"] == 3
    assert (acme["tickets_90d"], acme["open_tickets"]) == (2, 0)   # Zendesk only: T1 and T2
    assert acme["csat_90d"] == pytest.approx(0.5)                  # from the ratings table
    assert acme["nps"] is None and acme["nps_responses_180d"] is None
    assert acme["trainings_completed"] is None and acme["onboarding_completed"] is None
    row = score_on(absent_home, ACME, TODAY)
    assert row["sentiment_score"] is None and row["training_score"] is None
    assert row["coverage"] == pytest.approx(0.7)                    # 0.9 - sentiment 0.15 - training 0.05
    for relation in ("staging.stg_surveys__responses", "staging.stg_freshdesk__tickets",
                     "staging.stg_training__enrollments", "staging.stg_hubspot__companies", "marts.nps_responses"):
        assert one(absent_home, f"select count(*) as n from {relation}")["n"] == 0, relation


def test_rejected_records_of_every_source_are_visible(home):
    rejected = rows(home, "select * from staging.stg_ingest__rejected_records")
    assert [(r["source_system"], r["resource"], r["reason"]) for r in rejected] == [
        ("zendesk", "tickets", "missing primary key id")]


def test_nothing_is_written_into_the_repository(home, dbt):
    for leftover in ("target", "logs", "dbt_packages", ".user.yml"):
        assert not (PROJECT / leftover).exists(), leftover
    print("dbt seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in dbt.seconds.items()))
