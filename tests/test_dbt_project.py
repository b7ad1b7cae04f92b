"""The dbt project (dbt_project/) built on fabricated raw tables.

tests/dbt_raw_fixture.py writes raw_product / raw_salesforce / raw_hubspot with the
column names of docs/architecture.md; `dbt build` (models + seeds + every YAML and
singular test) runs against it with CS360_HOME in a temporary folder, target/ and logs/
included, so nothing is written into the repository.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"

# load the helper by path: works whether or not tests/ is a package
_spec = importlib.util.spec_from_file_location("dbt_raw_fixture", Path(__file__).with_name("dbt_raw_fixture.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

ACME, GLOBEX, INITECH, UMBRELLA, STARK = (fx.ACCOUNT_IDS[k] for k in ("acme", "globex", "initech", "umbrella", "stark"))
TODAY = fx.WORLD_TODAY  # 2024-06-30

# run dbt's own entry point with the interpreter running the tests
DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"


def run_dbt(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CS360_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        sys.executable, "-c", DBT_MAIN, *args,
        "--project-dir", str(PROJECT),
        "--profiles-dir", str(PROJECT),
        "--target-path", str(home / "dbt" / "target"),
        "--log-path", str(home / "dbt" / "logs"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    return result


def build(home: Path, *extra: str) -> float:
    started = time.perf_counter()
    run_dbt(home, "build", *extra)
    return time.perf_counter() - started


def rows(home: Path, sql: str, params: list | None = None) -> list[dict]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """The fixture world, built once."""
    home = tmp_path_factory.mktemp("cs360_home")
    fx.write_raw_fixture(home / "warehouse.duckdb")
    seconds = build(home)
    print(f"\ndbt build on the fixture: {seconds:.1f}s")
    return home


@pytest.fixture(scope="module")
def later_home(tmp_path_factory) -> Path:
    """The same world two days later: events after 2024-06-30 were added, nothing else."""
    home = tmp_path_factory.mktemp("cs360_home_later")
    db = fx.write_raw_fixture(home / "warehouse.duckdb")
    utc = timezone.utc
    fx.add_events(db, [
        ("e-late-1", "t-acme", "u-acme-9", "login", None, datetime(2024, 7, 1, 0, 10, tzinfo=utc)),
        ("e-late-2", "t-acme", "u-acme-9", "feature_used", "webhooks", datetime(2024, 7, 1, 0, 20, tzinfo=utc)),
        ("e-late-3", "t-acme", "u-acme-1", "login", None, datetime(2024, 7, 2, 9, 0, tzinfo=utc)),
        ("e-late-4", "t-globex", "u-globex-1", "login", None, datetime(2024, 7, 2, 9, 0, tzinfo=utc)),
    ])
    build(home)
    return home


def score_on(home: Path, account_id: str, day: date) -> dict:
    found = rows(home, "select * from marts.health_scores where account_id = ? and as_of_date = ?", [account_id, day])
    assert len(found) == 1, f"{account_id} has {len(found)} rows on {day}"
    return found[0]


# --- customer_360 and identity --------------------------------------------------------

def test_customer_360_has_one_row_per_fabricated_account(home):
    accounts = rows(home, "select * from marts.customer_360 order by account_id")
    assert sorted(a["account_id"] for a in accounts) == sorted(fx.ACCOUNT_IDS.values())
    by_id = {a["account_id"]: a for a in accounts}

    acme = by_id[ACME]  # kept in both CRMs under the same customer number: one account
    assert acme["salesforce_account_id"] == fx.SF_ACME
    assert acme["hubspot_company_id"] == fx.HS_ACME
    assert acme["domain"] == "acme.example"            # from 'https://www.Acme.example/home'
    assert acme["owner_csm"] == "csm.alice@vendor.example"  # Salesforce owner wins
    assert acme["n_tenants"] == 2

    assert by_id[UMBRELLA]["domain"] == "umbrella.example"
    assert by_id[UMBRELLA]["owner_csm"] == "csm.dave@vendor.example"  # lower-cased
    assert by_id[INITECH]["is_churned"] is True
    assert [a["account_id"] for a in accounts if a["is_churned"]] == [INITECH]


def test_customer_360_has_every_contract_column(home):
    columns = {r["column_name"]: r["data_type"] for r in rows(
        home, "select column_name, data_type from information_schema.columns "
              "where table_schema = 'marts' and table_name = 'customer_360'")}
    required = [
        "account_id", "salesforce_account_id", "hubspot_company_id", "name", "domain", "owner_csm",
        "lifecycle_stage", "mrr", "seats", "renewal_date", "days_to_renewal", "active_users_30d",
        "utilization_30d", "logins_30d", "logins_trend_30d", "open_tickets", "tickets_90d",
        "sla_breach_rate_90d", "csat_90d", "nps", "nps_responses_180d", "nps_response_rate_180d",
        "trainings_completed", "onboarding_completed", "health_score", "health_band", "is_churned", "n_tenants",
    ]
    assert [c for c in required if c not in columns] == []
    # not-yet-ingested sources: typed NULLs
    assert columns["open_tickets"] == "INTEGER"
    assert columns["onboarding_completed"] == "BOOLEAN"
    nulls = rows(home, "select count(*) filter (where open_tickets is not null or nps is not null "
                       "or trainings_completed is not null) as n from marts.customer_360")
    assert nulls[0]["n"] == 0


def test_customer_360_contract_usage_and_stage_today(home):
    by_id = {a["account_id"]: a for a in rows(home, "select * from marts.customer_360")}
    acme = by_id[ACME]
    assert acme["as_of_date"] == TODAY
    assert acme["lifecycle_stage"] == "adoption"
    assert (acme["mrr"], acme["seats"]) == (1000, 10)       # the deleted 99-seat contract is ignored
    assert acme["renewal_date"] == date(2025, 1, 1)
    assert acme["days_to_renewal"] == 185
    assert acme["active_users_30d"] == 4
    assert acme["utilization_30d"] == pytest.approx(0.4)
    assert acme["logins_30d"] == 20
    assert acme["logins_trend_30d"] == pytest.approx(-0.375)  # 20 vs 32
    assert acme["health_score"] == pytest.approx(45.0)
    assert acme["health_band"] == "yellow"

    assert by_id[GLOBEX]["lifecycle_stage"] == "onboarding"   # contract started 2024-04-15
    assert by_id[UMBRELLA]["lifecycle_stage"] == "renewal"    # term ends 2024-08-01
    assert by_id[UMBRELLA]["days_to_renewal"] == 32
    assert by_id[UMBRELLA]["seats"] == 15                     # the renewal term, not the first one
    assert by_id[INITECH]["lifecycle_stage"] == "churned"
    assert by_id[INITECH]["mrr"] is None

    stark = by_id[STARK]  # contract but no product tenant: no usage, no score
    assert stark["lifecycle_stage"] == "adoption"
    assert stark["n_tenants"] == 0
    assert stark["active_users_30d"] is None and stark["utilization_30d"] is None
    assert stark["health_score"] is None


def test_identity_bridge_matches_tenants_and_keeps_the_unmatched_one(home):
    bridge = {r["source_id"]: r for r in rows(home, "select * from marts.identity_bridge")}
    assert set(bridge) == {t[0] for t in fx.TENANTS}
    assert all(r["source_system"] == "product" for r in bridge.values())
    assert {k: r["account_id"] for k, r in bridge.items()} == fx.TENANT_ACCOUNT
    assert (bridge["t-acme"]["match_rule"], bridge["t-acme"]["confidence"]) == ("email_domain", 0.9)
    assert (bridge["t-initech"]["match_rule"], bridge["t-initech"]["confidence"]) == ("email_domain", 0.9)
    assert (bridge["t-globex"]["match_rule"], bridge["t-globex"]["confidence"]) == ("normalized_name", 0.6)
    assert (bridge["t-acme-2"]["match_rule"], bridge["t-acme-2"]["confidence"]) == ("normalized_name", 0.6)
    hooli = bridge["t-hooli"]
    assert hooli["account_id"] is None
    assert hooli["match_rule"] == "unmatched"


# --- health_scores ----------------------------------------------------------------------

def test_health_score_by_hand_for_acme_on_today(home):
    """Acme on 2024-06-30, adoption stage, scorecard v1 (see the fixture docstring).

    component    value              target  score  weight  contribution
    utilization  4 users / 10 seats 0.8     50     0.35    17.5
    usage        20 logins / 10     10      20     0.25     5.0
    usage_trend  20 / 32 = 0.625    1.0     62.5   0.20    12.5
    breadth      2 / 8 features     0.5     50     0.20    10.0
                                                   total   45.0 -> yellow (40 <= 45 < 70)
    """
    row = score_on(home, ACME, TODAY)
    assert row["lifecycle_stage"] == "adoption"
    assert row["scorecard_version"] == "v1"
    assert (row["seats"], row["active_users_30d"], row["logins_30d"], row["logins_prev_30d"]) == (10, 4, 20, 32)
    assert (row["features_used_30d"], row["features_available"]) == (2, 8)
    assert row["utilization_score"] == pytest.approx(50.0)
    assert row["usage_score"] == pytest.approx(20.0)
    assert row["usage_trend_score"] == pytest.approx(62.5)
    assert row["breadth_score"] == pytest.approx(50.0)
    assert row["utilization_contribution"] == pytest.approx(17.5)
    assert row["usage_contribution"] == pytest.approx(5.0)
    assert row["usage_trend_contribution"] == pytest.approx(12.5)
    assert row["breadth_contribution"] == pytest.approx(10.0)
    assert row["health_score"] == pytest.approx(45.0)
    assert row["health_band"] == "yellow"
    assert row["coverage"] == pytest.approx(1.0)
    # points lost: usage 20, utilization 17.5, breadth 10, trend 7.5; the top three are named
    assert row["top_reasons"] == (
        "2.0 logins per seat in 30 days; utilization 40% of seats; 2 of 8 features used in 30 days"
    )


def test_missing_component_is_left_out_and_reported_in_coverage(home):
    """Globex on 2024-05-01: onboarding, no logins in the 30 days before -> no trend.

    onboarding weights 0.35 / 0.25 / 0.10 / 0.30; the trend's 0.10 has no data, so
    coverage 0.9 and the other weights are rescaled by 1 / 0.9.
    """
    row = score_on(home, GLOBEX, date(2024, 5, 1))
    assert row["lifecycle_stage"] == "onboarding"
    assert row["logins_prev_30d"] == 0
    assert row["usage_trend_score"] is None and row["usage_trend_contribution"] is None
    assert row["coverage"] == pytest.approx(0.9)
    expected = (0.35 * row["utilization_score"] + 0.25 * row["usage_score"] + 0.30 * row["breadth_score"]) / 0.9
    assert row["health_score"] == pytest.approx(expected, abs=0.06)


def test_health_scores_cover_the_last_365_days_from_the_first_contract(home):
    spans = {r["account_id"]: r for r in rows(
        home, "select account_id, count(*) as n, min(as_of_date) as first_day, max(as_of_date) as last_day, "
              "count(distinct as_of_date) as n_days from marts.health_scores group by account_id")}
    assert set(spans) == {ACME, GLOBEX, INITECH, UMBRELLA}   # Stark has no product data
    assert (spans[ACME]["first_day"], spans[ACME]["last_day"], spans[ACME]["n"]) == (date(2024, 1, 1), TODAY, 182)
    assert (spans[GLOBEX]["first_day"], spans[GLOBEX]["n"]) == (date(2024, 4, 15), 77)
    # 365 days up to today, both Umbrella terms
    assert (spans[UMBRELLA]["first_day"], spans[UMBRELLA]["n"]) == (date(2023, 7, 2), 365)
    # churned: scored until its last covered day
    assert (spans[INITECH]["first_day"], spans[INITECH]["last_day"]) == (date(2023, 7, 2), date(2024, 4, 30))
    assert all(s["n"] == s["n_days"] for s in spans.values())


def test_lifecycle_stage_follows_the_covering_contract(home):
    assert score_on(home, UMBRELLA, date(2023, 7, 15))["lifecycle_stage"] == "renewal"   # first term ends 08-01
    assert score_on(home, UMBRELLA, date(2023, 12, 1))["lifecycle_stage"] == "adoption"
    assert score_on(home, UMBRELLA, date(2024, 5, 3))["lifecycle_stage"] == "renewal"    # 90 days before 08-01
    assert score_on(home, UMBRELLA, date(2024, 5, 2))["lifecycle_stage"] == "adoption"
    assert score_on(home, ACME, date(2024, 3, 30))["lifecycle_stage"] == "onboarding"    # day 90 of the first term
    assert score_on(home, ACME, date(2024, 3, 31))["lifecycle_stage"] == "adoption"


def test_contributions_add_up_and_scores_are_in_range(home):
    bad = rows(home, """
        select * from marts.health_scores
        where health_score not between 0 and 100
           or abs(health_score - coalesce(utilization_contribution, 0) - coalesce(usage_contribution, 0)
                  - coalesce(usage_trend_contribution, 0) - coalesce(breadth_contribution, 0)) > 0.1
           or health_band <> case when health_score >= 70 then 'green'
                                  when health_score >= 40 then 'yellow' else 'red' end
    """)
    assert bad == []


def test_health_score_current_has_one_row_per_scored_account(home):
    current = {r["account_id"]: r for r in rows(home, "select * from marts.health_score_current")}
    assert set(current) == {ACME, GLOBEX, INITECH, UMBRELLA}
    assert current[ACME]["as_of_date"] == TODAY
    assert current[INITECH]["as_of_date"] == date(2024, 4, 30)
    for account_id, row in current.items():
        earlier = score_on(home, account_id, date.fromordinal(row["as_of_date"].toordinal() - 30))
        assert row["score_change_30d"] == pytest.approx(row["health_score"] - earlier["health_score"], abs=0.01)
        assert row["health_score"] == score_on(home, account_id, row["as_of_date"])["health_score"]


# --- point in time ------------------------------------------------------------------------

def test_events_after_a_day_do_not_change_that_days_score(home, later_home):
    later_today = rows(later_home, "select as_of_date from intermediate.int_calendar__as_of_date")[0]["as_of_date"]
    assert later_today == date(2024, 7, 2)
    window_start = date.fromordinal(later_today.toordinal() - 364)
    query = ("select * from marts.health_scores where as_of_date between ? and ? "
             "order by account_id, as_of_date")
    before = rows(home, query, [window_start, TODAY])
    after = rows(later_home, query, [window_start, TODAY])
    assert len(before) > 900
    assert after == before
    # ... while the new days do see the new user and the new feature
    new_day = score_on(later_home, ACME, date(2024, 7, 2))
    assert new_day["features_available"] == 9
    assert new_day["active_users_30d"] == 5   # u-acme-1..4 still active since 06-03, plus u-acme-9


def test_as_of_date_var_rebuilds_the_past_as_it_was(home, tmp_path):
    fx.write_raw_fixture(tmp_path / "warehouse.duckdb")
    build(tmp_path, "--vars", "{as_of_date: '2024-06-15'}")
    acme = rows(tmp_path, "select * from marts.customer_360 where account_id = ?", [ACME])[0]
    assert acme["as_of_date"] == date(2024, 6, 15)
    assert rows(tmp_path, "select max(as_of_date) as d from marts.health_scores")[0]["d"] == date(2024, 6, 15)
    # events after 06-15 are in the raw data but not in the 06-15 row
    assert score_on(tmp_path, ACME, date(2024, 6, 15)) == score_on(home, ACME, date(2024, 6, 15))


def test_nothing_is_written_into_the_repository(home):
    for leftover in ("target", "logs", "dbt_packages", ".user.yml"):
        assert not (PROJECT / leftover).exists(), leftover
