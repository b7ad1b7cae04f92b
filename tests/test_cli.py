"""The console script's outside surface: unconfigured systems are skipped with one line each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.systems import SYSTEMS

CS360 = str(Path(sys.executable).with_name("cs360"))
SOURCE_PREFIXES = ("SALESFORCE_", "HUBSPOT_", "ZENDESK_", "FRESHDESK_", "SURVEY_", "DELIGHTED_", "TYPEFORM_", "LMS_",
                   "SKILLJAR_", "THINKIFIC_", "PRODUCT_", "ALERT_")


def test_run_with_nothing_configured_says_so_per_source_and_fails_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(SOURCE_PREFIXES) and k != "DAGSTER_HOME"}
    result = subprocess.run([CS360, "run", "ingest", "--home", str(tmp_path / "home")],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    skip_lines = [line for line in result.stdout.splitlines() if "skipping" in line]
    assert len(skip_lines) == len(SYSTEMS)
    assert "cs360_ingest: every system it needs is unconfigured, nothing to run" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_run_launches_the_stage_job_in_the_homes_dagster_instance(tiny_world, tmp_path, monkeypatch, capsys):
    """`cs360 run ingest` on a home configured only for the product source: the run of the
    `cs360_ingest` job (the one the schedules and the UI launch) is in the instance the UI
    reads, succeeded, selected exactly the configured system's assets, and is filed under
    the code location workspace.yaml declares, where the UI lists and re-executes its runs."""
    import yaml
    from dagster import AssetKey, DagsterInstance, RunsFilter

    from orchestration.launch import CODE_LOCATION, REPOSITORY_NAME

    from cs360.cli import main
    from sandbox.doubles.product_db import build_product_db

    home = tmp_path / "home"
    home.mkdir()
    product_db = build_product_db(tiny_world, tmp_path / "product.sqlite")
    (home / ".env").write_text(f"PRODUCT_DB_URL=sqlite:///{product_db}\nPRODUCT_EVENTS_PATH={tiny_world / 'events'}\n")
    for key in [key for key in os.environ if key.startswith(SOURCE_PREFIXES + ("CS360_", "DBT_"))]:
        monkeypatch.delenv(key)  # `main` sets some of these: restored after the test
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))

    assert main(["run", "ingest", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "cs360_ingest: succeeded" in out
    assert sum("skipping" in line for line in out.splitlines()) == len(SYSTEMS) - 1  # all but the product

    product = next(system for system in SYSTEMS if system.name == "product")
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        assert [(run.job_name, run.status.value) for run in runs] == [("cs360_ingest", "SUCCESS")]
        assert runs[0].asset_selection == {AssetKey([product.raw_dataset, table]) for table in product.raw_tables}
        assert runs[0].tags["cs360/pid"] == str(os.getpid())
        job_page = RunsFilter(job_name="cs360_ingest", tags={".dagster/repository": f"{REPOSITORY_NAME}@{CODE_LOCATION}"})
        assert [run.run_id for run in instance.get_runs(job_page)] == [runs[0].run_id]  # the UI's list of the job's runs
        assert runs[0].remote_job_origin.job_name == "cs360_ingest"  # what the UI's re-execution reads
    workspace = yaml.safe_load((Path(__file__).resolve().parents[1] / "workspace.yaml").read_text())
    assert [entry["python_module"]["location_name"] for entry in workspace["load_from"]] == [CODE_LOCATION]
