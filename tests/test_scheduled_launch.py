"""A scheduled-style launch outside the CLI reads the home like the CLI does.

`dagster job execute` of the ingest job (what a schedule tick or a UI launch runs) on a
home whose only configuration is `<home>/.env`: the product source, named there and
nowhere else, is loaded; the eight systems left unconfigured are skipped with one line
each, and the run succeeds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.systems import SYSTEMS
from sandbox.world.format import read_table

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = str(Path(sys.executable).with_name("dagster"))
SYSTEM_VARIABLES = {name for system in SYSTEMS for name in system.env_vars} | {"ALERT_WEBHOOK_URL"}


def test_dagster_job_execute_reads_the_homes_env_and_skips_the_unconfigured(tiny_world, tmp_path):
    from sandbox.doubles.product_db import build_product_db

    home = tmp_path / "home"
    home.mkdir()
    product_db = build_product_db(tiny_world, tmp_path / "product.sqlite")
    (home / ".env").write_text(f"PRODUCT_DB_URL=sqlite:///{product_db}\n"
                               f"PRODUCT_EVENTS_PATH={tiny_world / 'events'}\n")
    env = {key: value for key, value in os.environ.items()
           if key not in SYSTEM_VARIABLES and not key.startswith(("CS360_", "DAGSTER_"))}
    env.update({"CS360_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "PYTHONPATH": str(ROOT)})
    (home / "dagster").mkdir()

    # One process for the steps: the launch and the configuration are what is under test,
    # and each step's own process would load the definitions again.
    (tmp_path / "run_config.yaml").write_text("execution:\n  config:\n    in_process: {}\n")

    result = subprocess.run(
        [DAGSTER, "job", "execute", "-m", "orchestration.definitions", "-a", "defs", "-j", "cs360_ingest",
         "-c", str(tmp_path / "run_config.yaml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "PRODUCT_DB_URL is not set" not in output
    for line in ("salesforce: set SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN "
                 "(or SALESFORCE_USERNAME and SALESFORCE_PASSWORD), skipping Salesforce",
                 "hubspot: HUBSPOT_ACCESS_TOKEN is not set, skipping HubSpot",
                 "zendesk: ZENDESK_BASE_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN are not set, skipping Zendesk",
                 "freshdesk: FRESHDESK_BASE_URL and FRESHDESK_API_KEY are not set, skipping Freshdesk",
                 "surveys: SURVEY_BASE_URL and SURVEY_API_TOKEN are not set, skipping the survey tool",
                 "delighted: DELIGHTED_API_KEY is not set, skipping Delighted",
                 "typeform: TYPEFORM_ACCESS_TOKEN and TYPEFORM_FORM_IDS are not set, skipping Typeform",
                 "training: LMS_BASE_URL and LMS_API_TOKEN are not set, skipping the LMS",
                 "skilljar: SKILLJAR_API_KEY and SKILLJAR_DOMAIN are not set, skipping Skilljar",
                 "thinkific: THINKIFIC_API_KEY and THINKIFIC_SUBDOMAIN are not set, skipping Thinkific"):
        assert line in output
    assert "RUN_SUCCESS" in output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tenants = con.execute("select count(*) from raw_product.tenants").fetchone()[0]
        raw = {row[0] for row in con.execute(
            "select distinct table_schema from information_schema.tables "
            "where table_schema like 'raw_%' and table_schema not like '%_staging'").fetchall()}
    assert tenants == len(read_table(tiny_world, "tenants"))
    assert raw == {"raw_product"}
