"""A scheduled-style launch outside the CLI reads the home like the CLI does, and the CLI
launches the same job into the same Dagster instance.

`dagster job execute` of the ingest job (what a schedule tick or a UI launch runs) on a
home whose only configuration is `<home>/.env`: the product source, named there and
nowhere else, is loaded; the systems left unconfigured are skipped with one line each, and
the run succeeds. Then `cs360 run ingest` on that home: the same lines, and a successful
run of `cs360_ingest` in the home's instance, filed under the code location the UI lists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.systems import SYSTEMS
from sandbox.world.format import read_table

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = str(Path(sys.executable).with_name("dagster"))
SYSTEM_VARIABLES = {name for system in SYSTEMS for name in system.env_vars} | {"ALERT_WEBHOOK_URL"}
SKIP_LINES = (
    "salesforce: set SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN "
    "(or SALESFORCE_USERNAME and SALESFORCE_PASSWORD), skipping Salesforce",
    "hubspot: HUBSPOT_ACCESS_TOKEN is not set, skipping HubSpot",
    "zendesk: ZENDESK_BASE_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN are not set, skipping Zendesk",
    "freshdesk: FRESHDESK_BASE_URL and FRESHDESK_API_KEY are not set, skipping Freshdesk",
    "surveys: SURVEY_BASE_URL and SURVEY_API_TOKEN are not set, skipping the survey tool",
    "delighted: DELIGHTED_API_KEY is not set, skipping Delighted",
    "typeform: TYPEFORM_ACCESS_TOKEN and TYPEFORM_FORM_IDS are not set, skipping Typeform",
    "training: LMS_BASE_URL and LMS_API_TOKEN are not set, skipping the LMS",
    "skilljar: SKILLJAR_API_KEY and SKILLJAR_DOMAIN are not set, skipping Skilljar",
    "thinkific: THINKIFIC_API_KEY and THINKIFIC_SUBDOMAIN are not set, skipping Thinkific",
)


def _outside_variable(key: str) -> bool:
    """Set by the machine running the tests: none may configure the home under test."""
    return key in SYSTEM_VARIABLES or key.startswith(("CS360_", "DAGSTER_", "DBT_"))


@pytest.fixture(scope="module")
def env_only_home(tiny_world, tmp_path_factory) -> Path:
    """A home configured only by its `.env`: the product database and event files."""
    from sandbox.doubles.product_db import build_product_db

    root = tmp_path_factory.mktemp("env_only")
    home = root / "home"
    (home / "dagster").mkdir(parents=True)
    product_db = build_product_db(tiny_world, root / "product.sqlite")
    (home / ".env").write_text(f"PRODUCT_DB_URL=sqlite:///{product_db}\n"
                               f"PRODUCT_EVENTS_PATH={tiny_world / 'events'}\n")
    return home


def test_dagster_job_execute_reads_the_homes_env_and_skips_the_unconfigured(tiny_world, env_only_home, tmp_path):
    home = env_only_home
    env = {key: value for key, value in os.environ.items() if not _outside_variable(key)}
    env.update({"CS360_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "PYTHONPATH": str(ROOT)})

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
    for line in SKIP_LINES:
        assert line in output
    assert "RUN_SUCCESS" in output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tenants = con.execute("select count(*) from raw_product.tenants").fetchone()[0]
        raw = {row[0] for row in con.execute(
            "select distinct table_schema from information_schema.tables "
            "where table_schema like 'raw_%' and table_schema not like '%_staging'").fetchall()}
    assert tenants == len(read_table(tiny_world, "tenants"))
    assert raw == {"raw_product"}


def test_cs360_run_launches_the_same_job_into_the_homes_instance(env_only_home, module_env, capsys):
    """The run of `cs360_ingest` (the job the schedules and the UI launch) is in the instance
    the UI reads, succeeded, selected exactly the configured system's assets, and is filed
    under the code location workspace.yaml declares, where the UI lists and re-executes it."""
    from dagster import AssetKey, DagsterInstance, RunsFilter

    from cs360.cli import main
    from orchestration.launch import CODE_LOCATION, REPOSITORY_NAME

    home = env_only_home
    for key in [key for key in os.environ if _outside_variable(key)]:
        del os.environ[key]  # module_env restores them, and whatever `main` sets (the .env's values)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")

    assert main(["run", "ingest", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if "skipping" in line] == list(SKIP_LINES)
    assert lines[-1] == "cs360_ingest: succeeded"

    product = next(system for system in SYSTEMS if system.name == "product")
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()  # newest first: this command's, then the scheduled-style launch's
        assert [(run.job_name, run.status.value) for run in runs] == [("cs360_ingest", "SUCCESS")] * 2
        assert runs[0].asset_selection == {AssetKey([product.raw_dataset, table]) for table in product.raw_tables}
        assert runs[0].tags["cs360/pid"] == str(os.getpid())
        job_page = RunsFilter(job_name="cs360_ingest", tags={".dagster/repository": f"{REPOSITORY_NAME}@{CODE_LOCATION}"})
        assert runs[0].run_id in [run.run_id for run in instance.get_runs(job_page)]  # the UI's list of the job's runs
        assert runs[0].remote_job_origin.job_name == "cs360_ingest"  # what the UI's re-execution reads
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    assert [entry["python_module"]["location_name"] for entry in workspace["load_from"]] == [CODE_LOCATION]
