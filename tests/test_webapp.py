"""The web app without the pipeline: a hand-made warehouse of a few accounts, published and
served by uvicorn, read with requests. Access control, 404s, no writes, the renewal board and
its CSV, the publish step and the warehouse lock wait."""

from __future__ import annotations

import base64
import csv
import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
import requests
import uvicorn

from cs360_core.settings import Home
from cs360_core.warehouse_lock import WarehouseLocked, wait_for_warehouse
from webapp.access import AccessNotConfigured, check_bind, is_loopback
from webapp.app import create_app
from cs360_core.published import published_path, publish_marts
from tests.services import free_port

TOKEN = "a-test-token-of-32-characters-xx"

WAREHOUSE_SQL = """
create schema marts; create schema seeds; create schema intermediate;
create table marts.customer_360 as select * from (values
    ('C-1', 'Acme', 'ann@cs.example', 'adoption', 1000.00::decimal(12,2), 10, date '2026-12-01', 30),
    ('C-2', 'Bolt', 'bob@cs.example', 'renewal', 500.00::decimal(12,2), 5, date '2026-11-15', 14),
    ('C-3', 'Cog', 'ann@cs.example', 'renewal', 2500.00::decimal(12,2), 50, date '2027-03-01', 120),
    ('C-4', 'Dent', 'bob@cs.example', 'adoption', 100.00::decimal(12,2), 2, date '2027-09-01', 304)
) t(account_id, name, owner_csm, lifecycle_stage, mrr, seats, renewal_date, days_to_renewal);
create table marts.health_scores as select * from (values
    ('C-1', date '2026-10-30', 61.0, 'yellow', 'adoption', 'v1', 'few logins', 50.0, 30.5, 72.0, 30.5, 4, 10, 40),
    ('C-1', date '2026-10-31', 60.0, 'yellow', 'adoption', 'v1', 'few logins', 50.0, 30.0, 70.0, 30.0, 4, 10, 38),
    ('C-2', date '2026-10-31', 35.5, 'red', 'renewal', 'v1', 'no logins', 10.0, 5.5, 60.0, 30.0, 0, 5, 0),
    ('C-3', date '2026-10-31', 80.0, 'green', 'renewal', 'v1', '', 90.0, 45.0, 70.0, 35.0, 40, 50, 900)
) t(account_id, as_of_date, health_score, health_band, lifecycle_stage, scorecard_version, top_reasons,
    usage_score, usage_contribution, support_score, support_contribution, active_users_30d, seats, logins_30d);
create table marts.health_score_current as
    select h.*, c.mrr, h.health_score - 61.0 as score_change_30d, 0.9 as coverage
    from marts.health_scores as h join marts.customer_360 as c using (account_id)
    qualify as_of_date = max(as_of_date) over (partition by account_id);
create table marts.churn_predictions as select 'C-1' as account_id, date '2026-10-31' as as_of_date,
    0.125 as churn_probability_90d, 'm1' as model_version, 'usage' as top_drivers, null::varchar as null_reason;
create table marts.renewals as select * from (values
    ('C-1', 'Acme', 'ann@cs.example', date '2026-12-01', 30, 1000.00::decimal(12,2), 10, 4, 0.4, 60.0, 'yellow', -1.0, 0.125, 'medium'),
    ('C-2', 'Bolt', 'bob@cs.example', date '2026-11-15', 14, 500.00::decimal(12,2), 5, 0, 0.0, 35.5, 'red', null, null, 'high'),
    ('C-3', 'Cog', 'ann@cs.example', date '2027-03-01', 120, 2500.00::decimal(12,2), 50, 40, 0.8, 80.0, 'green', null, null, 'low')
) t(account_id, name, owner_csm, renewal_date, days_to_renewal, mrr, seats, active_users_30d, utilization_30d,
    health_score, health_band, score_change_30d, churn_risk, renewal_risk);
create table marts.alerts as select 'a1' as alert_id, 'C-2' as account_id, 'score_drop' as kind,
    timestamp '2026-10-31' as created_at, date '2026-10-31' as triggered_on, 'fell 20 points' as details, true as is_open;
create table marts.support_tickets as select 'zendesk:1' as ticket_key, 'zendesk' as help_desk, '1' as source_ticket_id,
    'C-1' as account_id, 'Login fails' as subject, 'high' as priority, 'open' as status,
    timestamp '2026-10-20 10:00' as created_at, date '2026-10-20' as created_on, 30.0 as first_response_minutes,
    null::double as resolution_minutes, false as sla_breached, null::varchar as csat, null::timestamp as solved_at;
create table marts.nps_responses as select 'r1' as response_id, 'C-1' as account_id, date '2026-10-01' as responded_on,
    timestamp '2026-10-01' as responded_at, 'nps_90d' as survey, 3 as score, 'detractor' as nps_category,
    'too slow' as comment, 'u@acme.example' as email;
create table marts.identity_bridge as select 'salesforce' as source_system, '001A' as source_id, 'C-1' as account_id,
    'crm_id' as match_rule, 1.0 as confidence, 'Acme' as source_name, null::varchar as source_email;
create table marts.score_validation as select * from (values
    ('pooled', 'health_score', 'all', 90, 100, 10, 0.75, 0.7, 2.5, null::double, null::double, date '2026-08-02'),
    ('date', 'health_score', 'v1', 90, 10, 1, 0.6125, null, 1.0, null, null, date '2026-08-02')
) t(scope, model, model_version, horizon_days, n_accounts, n_churned, auc, renewal_cohort_auc, top_decile_lift,
    brier, ece, last_evaluated_on);
create table marts.alert_validation as select * from (values
    ('score_drop', 90, 40, 6, 2.25), ('any', 90, 60, 7, 1.5)
) t(kind, horizon_days, alerts_judged, alerts_churned, lift);
create table seeds.health_band_thresholds as select * from (values
    ('v1', 'adoption', 'green', 70), ('v1', 'adoption', 'yellow', 40), ('v1', 'adoption', 'red', 0),
    ('v1', 'renewal', 'green', 70), ('v1', 'renewal', 'yellow', 40), ('v1', 'renewal', 'red', 0)
) t(scorecard_version, lifecycle_stage, band, min_score);
create table intermediate.enrollments as select 'e1' as enrollment_id, 'C-1' as account_id, 'Onboarding' as course_title,
    'onboarding' as course_kind, 'u@acme.example' as email, timestamp '2026-01-01' as registered_at,
    timestamp '2026-01-02' as attended_at, timestamp '2026-01-03' as completed_at;
create view intermediate.int_training__enrollments as select * from intermediate.enrollments;
create schema staging; create table staging.big as select 1 as x;
"""

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print(con.execute(sys.argv[3]).fetchone()[0] if len(sys.argv) > 3 else "held", flush=True)
sys.stdin.readline()
"""


class Holder:
    """Another process holding a DuckDB file open (read-only or read-write) until closed."""

    def __init__(self, path: Path, mode: str, query: str | None = None):
        self.process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode, *([query] if query else [])],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.first_line = self.process.stdout.readline().strip()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.wait(timeout=30)



@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Home:
    home = Home(tmp_path_factory.mktemp("webapp_home"))
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(WAREHOUSE_SQL)
    publish_marts(home, run_id="run-1")
    return home


class Served:
    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(home):
    served = Served(create_app(published_path(home), home.root / "webapp"))
    yield served.url
    served.stop()


@pytest.fixture(scope="module")
def guarded_site(home):
    served = Served(create_app(published_path(home), home.root / "webapp", token=TOKEN))
    yield served.url
    served.stop()


def _renewal_ids(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('data-account-id="')[1:]]


# --- pages ---------------------------------------------------------------------------------

def test_customer_page_shows_the_account_from_the_published_copy(site):
    page = requests.get(f"{site}/accounts/C-1", timeout=10)
    assert page.status_code == 200
    assert '<h1 id="account-name">Acme</h1>' in page.text
    assert '<div class="big" id="score">60.0</div>' in page.text
    assert 'id="band">yellow</span>' in page.text
    assert "<strong>12.5%</strong> (m1)" in page.text
    assert "<td>Login fails</td>" in page.text and "too slow" in page.text and "<td>Onboarding</td>" in page.text
    assert "data refreshed" in page.text and "as of 2026-10-31" in page.text
    assert float(page.headers["Server-Timing"].split("dur=")[1]) < 1000


def test_unknown_and_malformed_account_ids_get_a_404_that_echoes_nothing(site):
    for account_id in ("C-999", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "C-1%22onmouseover%3D1", "x" * 300,
                       "C-1%2F..%2F..%2Fetc"):
        page = requests.get(f"{site}/accounts/{account_id}", timeout=10)
        assert page.status_code == 404, account_id
        assert "<script>alert" not in page.text and "onmouseover" not in page.text and "C-999" not in page.text
    assert requests.get(f"{site}/no/such/page", timeout=10).status_code == 404


def test_no_route_accepts_a_write(site):
    for path in ("/", "/accounts/C-1", "/renewals", "/renewals.csv", "/static/cs360.css"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert requests.request(method, f"{site}{path}", timeout=10).status_code == 405, (method, path)


def test_renewal_board_filters_and_sorts_the_renewals_mart(site):
    default = requests.get(f"{site}/renewals", timeout=10).text  # 90 days, by renewal date
    assert _renewal_ids(default) == ["C-2", "C-1"]
    assert '<strong id="mrr-at-stake">1,500</strong>' in default and '<strong id="mrr-at-risk">500</strong>' in default
    by_mrr = requests.get(f"{site}/renewals", params={"within": 180, "sort": "mrr", "order": "desc"}, timeout=10).text
    assert _renewal_ids(by_mrr) == ["C-3", "C-1", "C-2"]
    high = requests.get(f"{site}/renewals", params={"within": 180, "risk": "high"}, timeout=10).text
    assert _renewal_ids(high) == ["C-2"]
    # unknown values fall back to the defaults instead of reaching the SQL
    odd = requests.get(f"{site}/renewals", params={"within": "7; drop", "sort": "1;--", "risk": "x"}, timeout=10)
    assert odd.status_code == 200 and _renewal_ids(odd.text) == ["C-2", "C-1"]


def test_renewal_csv_has_the_rows_of_the_board(site):
    response = requests.get(f"{site}/renewals.csv", params={"within": 180, "sort": "mrr", "order": "desc"}, timeout=10)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["account_id"], r["renewal_date"], r["mrr"], r["renewal_risk"]) for r in rows] == [
        ("C-3", "2027-03-01", "2500.00", "low"), ("C-1", "2026-12-01", "1000.00", "medium"),
        ("C-2", "2026-11-15", "500.00", "high")]


def test_portfolio_counts_bands_by_stage_and_lists_open_alerts(site):
    page = requests.get(f"{site}/", timeout=10).text
    assert ("<tr><td>adoption</td><td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">0</td>"
            "\n          <td class=\"n\">1</td>") in page
    assert '<span id="open-alerts">1</span>' in page and "fell 20 points" in page
    assert "<td>health_score</td>" in page and '<td class="n">0.750</td>' in page
    # pooled figures only (not the per-date row), then each alert kind's lift (not 'any')
    assert '<td class="n">0.613</td>' not in page
    assert "<td>alert:score_drop</td>" in page and '<td class="n">2.25</td>' in page and "alert:any" not in page


# --- access control --------------------------------------------------------------------------

def test_loopback_addresses_are_recognised():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.5", "example.com", "localhost.example.com"))
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(AccessNotConfigured, match="refusing to serve on 0.0.0.0"):
        check_bind("0.0.0.0", None)


def test_serve_refuses_a_non_loopback_bind_without_a_token(home):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CS360_WEB_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "cs360.cli", "serve", "--home", str(home.root), "--host", "0.0.0.0",
                             "--port", str(port)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0" in result.stderr and "CS360_WEB_TOKEN" in result.stderr
    with socket.socket() as probe:  # nothing was bound
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_serve_refuses_a_short_token(home):
    env = {**os.environ, "CS360_WEB_TOKEN": "Zq9xY"}
    result = subprocess.run([sys.executable, "-m", "cs360.cli", "serve", "--home", str(home.root), "--host", "0.0.0.0",
                             "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "shorter than 16" in result.stderr and "Zq9xY" not in result.stderr


def test_a_configured_token_is_required_as_bearer_or_basic_password(guarded_site):
    url = f"{guarded_site}/accounts/C-1"
    refused = requests.get(url, timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert "Acme" not in refused.text
    assert requests.get(url, headers={"Authorization": "Bearer wrong-token-wrong-token"}, timeout=10).status_code == 401
    assert requests.get(url, auth=("anyone", "wrong"), timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": "Basic !!notbase64"}, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).status_code == 200
    basic = base64.b64encode(f"csm:{TOKEN}".encode()).decode()
    assert requests.get(url, headers={"Authorization": f"Basic {basic}"}, timeout=10).status_code == 200


# --- publishing and locks --------------------------------------------------------------------

def test_publish_copies_marts_and_page_inputs_sorted_by_account(home):
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        tables = {tuple(r) for r in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        assert ("marts", "renewals") in tables and ("intermediate", "int_training__enrollments") in tables
        assert ("seeds", "health_band_thresholds") in tables and ("publication", "refresh") in tables
        assert ("staging", "big") not in tables and ("intermediate", "enrollments") not in tables
        assert con.execute("select run_id, data_as_of::varchar from publication.refresh").fetchone() == (
            "run-1", "2026-10-31")
        assert con.execute("select table_type from information_schema.tables "
                           "where table_name = 'int_training__enrollments'").fetchone()[0] == "BASE TABLE"
        assert [r[0] for r in con.execute("select account_id from marts.health_scores").fetchall()] == [
            "C-1", "C-1", "C-2", "C-3"]


def test_publish_replaces_the_copy_while_a_reader_holds_it(tmp_path):
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(WAREHOUSE_SQL)
    publish_marts(home)
    reader = Holder(published_path(home), "read", "select count(*) from marts.customer_360")
    try:
        assert reader.first_line == "4"
        with duckdb.connect(str(home.warehouse)) as con:
            con.execute("delete from marts.customer_360 where account_id = 'C-4'")
        publish_marts(home)  # would fail with a lock error if it wrote into the reader's file
        with duckdb.connect(str(published_path(home)), read_only=True) as con:
            assert con.execute("select count(*) from marts.customer_360").fetchone()[0] == 3
        assert reader.process.poll() is None
    finally:
        reader.close()
    assert sorted(p.name for p in published_path(home).parent.iterdir()) == ["cs360.duckdb"]


def test_the_app_serves_the_new_copy_once_a_run_published_it(tmp_path):
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(WAREHOUSE_SQL)
    publish_marts(home)
    served = Served(create_app(published_path(home), home.root / "webapp"))
    try:
        assert '<h1 id="account-name">Acme</h1>' in requests.get(f"{served.url}/accounts/C-1", timeout=10).text
        with duckdb.connect(str(home.warehouse)) as con:
            con.execute("update marts.customer_360 set name = 'Acme Renamed' where account_id = 'C-1'")
        publish_marts(home)
        assert '<h1 id="account-name">Acme Renamed</h1>' in requests.get(f"{served.url}/accounts/C-1", timeout=10).text
    finally:
        served.stop()


def test_a_failed_publish_leaves_the_previous_copy(tmp_path):
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(WAREHOUSE_SQL)
    publish_marts(home, run_id="good")
    writer = Holder(home.warehouse, "write")
    try:
        with pytest.raises(duckdb.IOException, match="lock"):
            publish_marts(home, run_id="bad")
    finally:
        writer.close()
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        assert con.execute("select run_id from publication.refresh").fetchone()[0] == "good"
    assert sorted(p.name for p in published_path(home).parent.iterdir()) == ["cs360.duckdb"]


def test_a_run_waits_for_a_locked_warehouse_then_fails_naming_the_holder(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = Holder(warehouse, "read")
    waited = []
    try:
        with pytest.raises(WarehouseLocked) as locked:
            wait_for_warehouse(warehouse, waits=(0.01, 0.02, 0.04), sleep=waited.append, log=lambda line: None)
    finally:
        reader.close()
    assert waited == [0.01, 0.02, 0.04]
    assert f"PID {reader.process.pid}" in str(locked.value) and "published/cs360.duckdb" in str(locked.value)


def test_a_run_goes_on_once_the_holder_lets_go(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = Holder(warehouse, "read")
    lines = []
    wait_for_warehouse(warehouse, waits=(5.0, 5.0), sleep=lambda seconds: reader.close(), log=lines.append)
    assert lines == ["warehouse.duckdb is locked by another process; retrying in 5 s"]
