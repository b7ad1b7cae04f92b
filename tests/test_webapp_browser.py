"""The web app in a real browser (Playwright driving Debian's Chromium) on the tiny world,
after the shared run of the whole Dagster job (tests/conftest.py), made with CS360_PUBLIC_URL set.

Chromium is installed with apt-get when it is absent and this runs as root; elsewhere the
module is skipped with the reason."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta, timezone

import duckdb
import pytest
import requests
from dagster import DagsterInstance
from hubspot import HubSpot
from simple_salesforce import Salesforce

from orchestration.defs.publish import PUBLISHED_MARTS_KEY
from cs360_core.published import published_path

CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
RISK_ORDER = {"high": 0, "medium": 1, "unknown": 2, "low": 3}
HOLD_PUBLISHED = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select refreshed_at::varchar from publication.refresh").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("select refreshed_at::varchar from publication.refresh").fetchone()[0], flush=True)
"""


def _ensure_chromium() -> str | None:
    """The reason the browser tests cannot run, or None once Chromium is there."""
    if os.path.exists(CHROMIUM):
        return None
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return f"{CHROMIUM} is absent and cannot be installed here (needs apt-get as root): apt-get install chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return f"installing chromium failed ({' '.join(command)}): {done.stderr.strip()[-300:]}"
    return None if os.path.exists(CHROMIUM) else f"apt-get installed chromium but {CHROMIUM} is absent"


@pytest.fixture(scope="module")
def browser():
    reason = _ensure_chromium()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def port(full_run) -> int:
    """The port of CS360_PUBLIC_URL, `http://127.0.0.1:<port>/` (the trailing slash is not doubled)."""
    return full_run.public_port


@pytest.fixture(scope="module")
def built(full_run):
    """The shared run of the whole job (tests/conftest.py), with CS360_PUBLIC_URL set."""
    return full_run.home


@pytest.fixture(scope="module")
def site(built, port):
    server = subprocess.Popen([sys.executable, "-m", "cs360.cli", "serve", "--home", str(built.root), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, server.stdout.read() if server.poll() else "slow"
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


@pytest.fixture
def published(built):
    con = duckdb.connect(str(published_path(built)), read_only=True)
    yield con
    con.close()


def _open(page, url: str):
    response = page.goto(url)
    assert response.status == 200, url
    if "/accounts/" in url:
        page.wait_for_selector("body[data-charts-ready='true']", timeout=30_000)
    return response


def _known_account(published) -> str:
    """The account with the most open or recent tickets (then the first by id)."""
    return published.execute("""
        select account_id from marts.support_tickets, publication.refresh
        where account_id is not null and (solved_at is null or created_on > data_as_of - interval 90 day)
        group by account_id order by count(*) desc, account_id limit 1""").fetchone()[0]


def test_customer_page_shows_the_exact_score_reasons_charts_and_tickets(site, page, published):
    account_id = _known_account(published)
    current = published.execute(
        "select health_score, health_band, top_reasons, lifecycle_stage from marts.health_score_current "
        "where account_id = ?", [account_id]).fetchone()
    name, csm = published.execute(
        "select name, owner_csm from marts.customer_360 where account_id = ?", [account_id]).fetchone()
    _open(page, f"{site}/accounts/{account_id}")

    assert page.inner_text("#account-name") == name
    assert page.inner_text("#csm") == csm
    assert page.inner_text("#score") == f"{current[0]:,.1f}"
    assert page.inner_text("#band") == current[1]
    assert page.locator("#reasons li").all_inner_texts() == current[2].split("; ")
    assert page.inner_text("#stage") == current[3]

    # the score chart: one point per scored day, one band per run of a stage, its thresholds on each
    days = published.execute("select lifecycle_stage from marts.health_scores where account_id = ? "
                             "order by as_of_date", [account_id]).fetchall()
    runs = [stage for i, (stage,) in enumerate(days) if i == 0 or days[i - 1][0] != stage]
    thresholds = dict(published.execute(
        "select lifecycle_stage, count(*) from seeds.health_band_thresholds where min_score > 0 and "
        "scorecard_version = 'v1' group by 1").fetchall())
    assert page.locator("#chart-score g.mark-symbol.role-mark path").count() == len(days) > 100
    assert page.locator("#chart-score g.mark-rect.role-mark path").count() == len(runs)
    assert page.locator("#chart-score g.mark-rule.role-mark line").count() == sum(thresholds[stage] for stage in runs)
    assert page.locator("#chart-users g.mark-line.role-mark path").count() == 2  # active users and seats
    for chart in ("utilization", "usage"):
        assert page.locator(f"#chart-{chart} svg").count() == 1

    expected = published.execute("""
        select source_ticket_id, subject, status from marts.support_tickets, publication.refresh
        where account_id = ? and (solved_at is null or created_on > data_as_of - interval 90 day)
        order by solved_at is null desc, created_at desc, ticket_key""", [account_id]).fetchall()
    shown = [(row.locator("td").nth(1).inner_text(), row.locator("td").nth(2).inner_text(),
              row.locator("td").nth(4).inner_text()) for row in page.locator("#tickets tbody tr").all()]
    assert shown == [tuple(r) for r in expected] and len(shown) >= 2


def test_customer_page_lists_the_crm_activities_and_the_last_touch(site, page, published):
    """The account with the most activities: every one of its activities (newest first, up
    to the page's 100) as marts.crm_activities holds them, and its last CSM touch."""
    account_id, listed = published.execute("""
        select account_id, count(*) from marts.crm_activities group by account_id
        order by count(*) desc, account_id limit 1""").fetchone()
    expected = published.execute("""
        select strftime(occurred_at, '%Y-%m-%d'), kind, coalesce(subject, ''), source_system
        from marts.crm_activities where account_id = ? order by occurred_at desc, activity_id limit 100""",
                                 [account_id]).fetchall()
    last_touch = published.execute("select max(occurred_at) from marts.crm_activities where account_id = ? "
                                   "and kind in ('call', 'meeting', 'email')", [account_id]).fetchone()[0]
    _open(page, f"{site}/accounts/{account_id}")

    rows = page.locator("#activities tbody tr").all()
    shown = [tuple(row.locator("td").nth(i).inner_text() for i in (0, 1, 2, 5)) for row in rows]
    assert shown == [tuple(r) for r in expected] and len(shown) == min(listed, 100) >= 5
    assert page.inner_text("#last-touch").startswith(f"last CSM touch: {last_touch:%Y-%m-%d}")


def test_the_crm_page_links_open_the_customer_page(site, page, published, full_run, port):
    env = full_run.sandbox.env
    wanted = {row[0]: f"http://127.0.0.1:{port}/accounts/{row[1]}" for row in published.execute(
        "select salesforce_account_id, account_id from marts.crm_account_health "
        "where salesforce_account_id is not null").fetchall()}
    sf = Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"], session_id=env["SALESFORCE_ACCESS_TOKEN"])
    linked = {r["Id"]: r["CS_Account_Page_URL__c"] for r in sf.query_all(
        "SELECT Id, CS_Account_Page_URL__c FROM Account")["records"] if r["CS_Account_Page_URL__c"] is not None}
    assert linked == wanted and len(linked) > 0

    hubspot = HubSpot(access_token=env["HUBSPOT_ACCESS_TOKEN"], host=env["HUBSPOT_BASE_URL"])
    hs_wanted = {row[0]: f"http://127.0.0.1:{port}/accounts/{row[1]}" for row in published.execute(
        "select hubspot_company_id, account_id from marts.crm_account_health where hubspot_company_id is not null"
    ).fetchall()}
    companies = hubspot.crm.companies.get_all(properties=["cs_account_page_url"])
    assert {c.id: c.properties["cs_account_page_url"] for c in companies if c.id in hs_wanted} == hs_wanted

    record_id, url = sorted(linked.items())[0]
    _open(page, url)
    account_id = url.rsplit("/", 1)[1]
    assert page.inner_text("#account-id") == account_id
    assert page.inner_text("#account-name") == published.execute(
        "select name from marts.customer_360 where salesforce_account_id = ?", [record_id]).fetchone()[0]


def test_renewal_board_rows_are_the_renewals_mart(site, page, published):
    renewals = published.execute(
        "select account_id, renewal_date, mrr, renewal_risk, days_to_renewal from marts.renewals").fetchall()
    assert len(renewals) >= 3

    def board_ids():
        return [row.get_attribute("data-account-id") for row in page.locator("#renewals tbody tr[data-account-id]").all()]

    _open(page, f"{site}/renewals?within=180")
    assert board_ids() == [r[0] for r in sorted(renewals, key=lambda r: (r[1], RISK_ORDER[r[3]], r[0]))]
    assert page.inner_text("#renewal-count") == str(len(renewals))
    assert page.inner_text("#mrr-at-stake") == f"{float(sum(r[2] for r in renewals)):,.0f}"

    page.click("#renewals thead >> text=MRR")  # sort by MRR, ascending
    page.wait_for_url("**sort=mrr&order=asc")
    assert board_ids() == [r[0] for r in sorted(renewals, key=lambda r: (r[2], RISK_ORDER[r[3]], r[0]))]

    page.select_option("select[name=within]", "90")
    page.click("button[type=submit]")
    page.wait_for_url("**within=90**")
    within_90 = sorted((r for r in renewals if r[4] <= 90), key=lambda r: (r[2], RISK_ORDER[r[3]], r[0]))
    assert board_ids() == [r[0] for r in within_90]

    with page.expect_download() as download:
        page.click("#csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [(r["account_id"], r["renewal_risk"]) for r in rows] == [(r[0], r[3]) for r in within_90]


def test_pages_load_while_a_run_writes_and_runs_succeed_while_a_reader_holds_the_copy(site, page, built, published):
    account_id = _known_account(published)
    refreshed_before = published.execute("select refreshed_at from publication.refresh").fetchone()[0]
    published.close()  # DuckDB shares one database per path within a process: reopen later to see the new copy
    reader = subprocess.Popen([sys.executable, "-c", HOLD_PUBLISHED, str(published_path(built))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    held_version = reader.stdout.readline().strip()
    try:
        # A sync run in its own process writes the warehouse while the browser keeps loading pages.
        run = subprocess.Popen([sys.executable, "-m", "cs360.cli", "run", "sync", "--home", str(built.root)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        loads, slowest = 0, 0.0
        while run.poll() is None or loads == 0:
            started = time.monotonic()
            _open(page, f"{site}/accounts/{account_id}")
            slowest = max(slowest, time.monotonic() - started)
            loads += 1
        assert run.wait() == 0, run.stdout.read()
        assert loads >= 2 and slowest < 10

        # A run that publishes replaces the copy under the reader and the server.
        time.sleep(1)  # refreshed_at has second precision
        from orchestration.definitions import build_definitions
        job = build_definitions(built).resolve_job_def("cs360_transform")
        result = job.execute_in_process(instance=DagsterInstance.get(), asset_selection=[PUBLISHED_MARTS_KEY],
                                        raise_on_error=False)
        assert result.success
    finally:
        reader.stdin.write("\n")
        reader.stdin.flush()
        still_reading = reader.stdout.readline().strip()
        reader.wait(timeout=30)
    assert still_reading == held_version  # the reader kept its copy throughout
    with duckdb.connect(str(published_path(built)), read_only=True) as con:
        refreshed_after = con.execute("select refreshed_at from publication.refresh").fetchone()[0]
    assert refreshed_after >= refreshed_before + timedelta(seconds=1)
    _open(page, f"{site}/")
    assert f"data refreshed {refreshed_after.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC" in page.inner_text("#refreshed")


def test_unknown_account_in_the_browser_is_a_404_without_the_id(site, page):
    response = page.goto(f"{site}/accounts/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert response.status == 404
    assert page.locator("img").count() == 0 and "onerror" not in page.content()
