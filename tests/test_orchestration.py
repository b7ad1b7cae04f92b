"""Dagster operations: blocking gates before the CRM sync, schedules, sensors, instance storage."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    asset,
    build_run_status_sensor_context,
    build_schedule_context,
    define_asset_job,
)

from cs360.runner import run_stage
from cs360_core.settings import POSTGRES_STORAGE_ENV, resolve_home
from orchestration.definitions import build_definitions
from orchestration.sensors import run_failure_to_webhook
from reverse_etl import gates
from sandbox.doubles.server import Sandbox


@pytest.fixture(scope="module")
def defs(full_run):
    return build_definitions(full_run.home)


def _crm_scores(sandbox) -> list:
    return [r.get("CS_Health_Score__c") for r in sandbox.salesforce.records("Account")]


@pytest.mark.slow  # every CRM path behind a failed gate is covered by tests/test_sync_gates.py
def test_a_failing_gate_stops_the_crm_sync(tmp_path, tiny_world, module_env, monkeypatch):
    monkeypatch.setattr(gates, "MIN_TENANTS_MATCHED_SHARE", 1.01)  # no world can pass this
    os.environ["DAGSTER_HOME"] = str(tmp_path / "dagster")
    home = resolve_home(tmp_path)
    with Sandbox(tiny_world, home.sandbox_dir, ports={"salesforce": 0, "hubspot": 0}) as sandbox:
        os.environ.update(sandbox.env)
        stage = run_stage(home, "all", defs=build_definitions(home), log=lambda line: None, log_level="ERROR")
    assert not stage.success
    assert set(stage.failed_steps()) == {"crm_sync_gates"}
    started = {e.step_key for e in stage.result.all_events if e.event_type_value == "STEP_START"}
    assert "cs360_dbt_models" in started
    assert not {"reverse_etl__salesforce_account", "reverse_etl__hubspot_companies"} & started
    assert set(_crm_scores(sandbox)) == {None}  # nothing reached the CRM


def test_the_gates_pass_on_a_healthy_world_and_the_sync_runs(full_run):
    stage = full_run.stage
    checks = {e.event_specific_data.asset_check_key.name: e.event_specific_data.passed
              for e in stage.result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert checks["tenants_matched"] and checks["band_mix_stable"] and checks["score_predicts_churn"]
    assert checks["model_predicts_churn"]  # the tiny world has too few churners for a model: passes, null risk
    assert None not in set(_crm_scores(full_run.sandbox))


def test_raw_tables_report_their_row_count(full_run, defs, tiny_world):
    instance = DagsterInstance.get()
    event = instance.get_latest_materialization_event(AssetKey(["raw_product", "tenants"]))
    from sandbox.world.format import read_table
    assert event.asset_materialization.metadata["dagster/row_count"].value == len(read_table(tiny_world, "tenants"))


def test_schedules_evaluate(defs):
    instance = DagsterInstance.ephemeral()
    daily = defs.resolve_schedule_def("cs360_daily")
    hourly = defs.resolve_schedule_def("cs360_hourly_voice_of_customer")
    for schedule, job in ((daily, "cs360_all"), (hourly, "cs360_voice_of_customer")):
        result = schedule.evaluate_tick(build_schedule_context(instance=instance, repository_def=defs.get_repository_def()))
        assert [request.job_name or schedule.job_name for request in result.run_requests] == [job]
    assert (daily.cron_schedule, hourly.cron_schedule) == ("0 5 * * *", "5 * * * *")


def _postgres_available() -> bool:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "select 1"],
                          capture_output=True).returncode == 0 if _has_psql() else False


def _has_psql() -> bool:
    from shutil import which
    return which("psql") is not None


@pytest.mark.postgres
@pytest.mark.skipif(not _postgres_available(), reason="PostgreSQL is not reachable on 127.0.0.1:5432")
def test_instance_storage_on_postgres(tmp_path, monkeypatch):
    database = f"cs360_dagster_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"create database {database}"], check=True,
                   capture_output=True)
    try:
        monkeypatch.setenv(POSTGRES_STORAGE_ENV, f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}")
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
        home = resolve_home(tmp_path)
        assert f"env: {POSTGRES_STORAGE_ENV}" in (home.dagster_home / "dagster.yaml").read_text()

        @asset
        def heartbeat() -> int:
            return 1

        job = Definitions(assets=[heartbeat], jobs=[define_asset_job("heartbeat_job")]).resolve_job_def("heartbeat_job")
        with DagsterInstance.from_config(str(home.dagster_home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            run_id = job.execute_in_process(instance=instance).run_id
        stored = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc",
             f"select status from runs where run_id = '{run_id}'"], capture_output=True, text=True, check=True)
        assert stored.stdout.strip() == "SUCCESS"
    finally:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"drop database if exists {database} with (force)"],
                       capture_output=True)


def test_the_failure_sensor_posts_the_failed_step_to_the_webhook(full_run, defs, monkeypatch):
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "revoked-token")  # the double answers 401
    instance = DagsterInstance.get()
    job = defs.resolve_job_def("cs360_ingest")
    result = job.execute_in_process(instance=instance, raise_on_error=False,
                                    asset_selection=[AssetKey(["raw_salesforce", "accounts"])])
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    posted_before = len(full_run.sandbox.webhook.posts)
    context = build_run_status_sensor_context(
        sensor_name=run_failure_to_webhook.name, dagster_instance=instance,
        dagster_run=result.dagster_run, dagster_event=failure,
    ).for_run_failure()
    run_failure_to_webhook(context)
    posts = full_run.sandbox.webhook.posts[posted_before:]
    assert len(posts) == 1
    text = posts[0]["text"] if isinstance(posts[0], dict) and "text" in posts[0] else posts[0]["body"]["text"]
    assert "cs360_ingest" in text and "salesforce_raw" in text and result.run_id[:8] in text
