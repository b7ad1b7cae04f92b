"""Canary secrets: every token, password and key the pipeline is given, and the webhook
URL's secret path, are unique random values here (the sandbox's). After a full run and a
sync with the alert webhook failing in every way a user can get it wrong or a network can
fail, none of them may appear in stdout/stderr, in any file under the home (logs, dlt
state, dbt logs and target, the Dagster instance and its event log), or in any string
column of any warehouse table."""

from __future__ import annotations

import socket

import duckdb
import pytest

from sandbox.doubles.server import Sandbox
from tests.kill_harness import run_cs360

# a full run and six syncs in child processes, one waiting out a webhook timeout
pytestmark = pytest.mark.slow

SECRET_VARIABLES = ("SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN", "HUBSPOT_ACCESS_TOKEN", "ZENDESK_API_TOKEN",
                    "FRESHDESK_API_KEY", "SURVEY_API_TOKEN", "LMS_API_TOKEN")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def leaks(tiny_world, tmp_path_factory):
    """Runs everything once; returns {where: [canary names found there]} and what was run."""
    home = tmp_path_factory.mktemp("canary_home")
    with Sandbox(tiny_world, home / "sandbox") as sandbox:
        env = dict(sandbox.env)
        # the username-password login, so the password and security token are in play too
        del env["SALESFORCE_INSTANCE_URL"], env["SALESFORCE_ACCESS_TOKEN"]
        env.update(sandbox.salesforce_login)
        canaries = {name: env[name] for name in SECRET_VARIABLES}
        canaries["SALESFORCE_SESSION"] = sandbox.env["SALESFORCE_ACCESS_TOKEN"]
        webhook_secret = sandbox.webhook.path.rsplit("/", 1)[1]
        canaries["ALERT_WEBHOOK_URL path"] = webhook_secret
        good_url = env["ALERT_WEBHOOK_URL"]
        host_path = good_url.split("://", 1)[1]
        refused = f"http://127.0.0.1:{_closed_port()}{sandbox.webhook.path}"

        outcomes = [run_cs360(home, env, "run", "all", ALERT_WEBHOOK_URL=refused)]
        webhook_failures = {
            "invalid scheme": f"htps://{host_path}",
            "no ':'": host_path,
            "ftp://": f"ftp://{host_path}",
            "refused": refused,
        }
        for url in webhook_failures.values():
            outcomes.append(run_cs360(home, env, "sync", ALERT_WEBHOOK_URL=url))
        sandbox.faults.add("webhook", "/services/", "server_error", status=500)
        outcomes.append(run_cs360(home, env, "sync", ALERT_WEBHOOK_URL=good_url))
        sandbox.faults.clear()
        sandbox.faults.add("webhook", "/services/", "timeout", seconds=32, times=1)
        outcomes.append(run_cs360(home, env, "sync", ALERT_WEBHOOK_URL=good_url))

    found: dict[str, list[str]] = {}

    def scan(where: str, text: str) -> None:
        hits = [name for name, value in canaries.items() if value in text]
        if hits:
            found[where] = hits

    for outcome in outcomes:
        scan(f"cs360 {' '.join(outcome.args)}: stdout", outcome.stdout)
        scan(f"cs360 {' '.join(outcome.args)}: stderr", outcome.stderr)
    files = [p for p in home.rglob("*") if p.is_file() and p.name != "warehouse.duckdb"
             and home / "sandbox" not in p.parents]
    for path in files:  # the sandbox folder is the vendors' side, not ours
        scan(str(path.relative_to(home)), path.read_bytes().decode("utf-8", errors="replace"))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type not in ('BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'DATE', 'HUGEINT', 'SMALLINT', "
            "'FLOAT', 'UBIGINT') and data_type not like 'TIMESTAMP%' and data_type not like 'DECIMAL%'").fetchall()
        for schema, table, column in columns:
            text = con.execute(f'select string_agg(cast("{column}" as varchar), chr(10)) from "{schema}"."{table}"'
                               ).fetchone()[0]
            scan(f"warehouse {schema}.{table}.{column}", text or "")
    return {"found": found, "outcomes": outcomes, "files": len(files), "columns": len(columns),
            "canaries": len(canaries), "webhook_failures": list(webhook_failures) + ["500", "timeout"]}


def test_the_runs_got_as_far_as_the_webhook(leaks):
    """Not vacuous: the full run loaded and scored, and every sync reached the alert step."""
    full, *syncs = leaks["outcomes"]
    assert "cs360_all" in full.stdout, full.describe()
    assert len(syncs) == 6 and all(outcome.returncode == 1 for outcome in syncs), [o.describe() for o in syncs]
    assert leaks["canaries"] == 9 and leaks["files"] > 20 and leaks["columns"] > 200


def test_no_canary_anywhere(leaks):
    assert leaks["found"] == {}
