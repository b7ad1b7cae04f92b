"""Every source (the three survey tools included) through the Dagster ingest job, twice: exact raw tables, and a second
run that asks every vendor only for changes (dagster-dlt drops the local pipeline state
before each run, so the cursors must come back from the warehouse)."""

from __future__ import annotations

import pytest

from cs360.runner import run_stage
from cs360_core.settings import resolve_home
from orchestration.systems import SYSTEMS
from sandbox.doubles.server import Sandbox
from test_ingest_support import count, params, query, requests_to, world_rows

RAW = ("raw_product", "raw_salesforce", "raw_hubspot", "raw_zendesk", "raw_freshdesk", "raw_surveys", "raw_delighted",
       "raw_typeform", "raw_training", "raw_skilljar", "raw_thinkific")


@pytest.fixture
def dagster_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home" / "dagster"))
    return resolve_home(tmp_path / "home")


def _raw_counts(home) -> dict[str, int]:
    tables = query(home, "select table_schema, table_name from information_schema.tables where table_schema in "
                         f"({', '.join(repr(s) for s in RAW)}) and table_name not like '_dlt%'")
    return {f"{schema}.{table}": count(home, f"{schema}.{table}") for schema, table in tables}


def test_ingest_job_twice_lands_exactly_once_and_then_only_changes(tiny_world, tmp_path, dagster_home, monkeypatch):
    assert {system.name for system in SYSTEMS} == {name.removeprefix("raw_") for name in RAW}
    with Sandbox(tiny_world, tmp_path / "sandbox") as sandbox:
        for key, value in {**sandbox.env, **sandbox.survey_env("delighted"), **sandbox.survey_env("typeform")}.items():
            monkeypatch.setenv(key, value)
        first = run_stage(dagster_home, "ingest", log=lambda line: None)
        assert first.success, first.failed_steps()
        assert first.skipped == ["skilljar", "thinkific"]  # the world's LMS is the generic API
        before = _raw_counts(dagster_home)
        zendesk_tickets = [t for t in world_rows(tiny_world, "tickets") if t["system"] == "zendesk"]
        assert before["raw_zendesk.tickets"] == len(zendesk_tickets)
        assert before["raw_surveys.responses"] == len(world_rows(tiny_world, "survey_responses"))
        assert before["raw_delighted.survey_responses"] == before["raw_typeform.responses"] == len(
            world_rows(tiny_world, "survey_responses"))
        assert before["raw_product.tenants"] == len(world_rows(tiny_world, "tenants"))
        # API rows reach DuckDB as a parquet file, not as INSERT statements (the sql job is
        # dlt's merge of the staged rows into the table)
        assert sorted(job["file_format"] for job in first.materialized()["raw_zendesk/tickets"]["jobs"]) == [
            "parquet", "sql"]
        sandbox.request_log.clear()

        second = run_stage(dagster_home, "ingest", log=lambda line: None)

        assert second.success, second.failed_steps()
        assert _raw_counts(dagster_home) == before
        assert params(requests_to(sandbox, "zendesk", "/incremental/tickets/cursor")[0]).get("cursor")
        assert params(requests_to(sandbox, "surveys", "/v1/responses")[0])["updated_since"] != "1970-01-01T00:00:00Z"
        assert params(requests_to(sandbox, "lms", "/enrollments")[0])["updated_since"] != "1970-01-01T00:00:00Z"
        assert params(requests_to(sandbox, "delighted", "/v1/survey_responses")[0])["updated_since"] != "0"
        assert all(params(e).get("since") for e in requests_to(sandbox, "typeform", "/responses"))
        assert params(requests_to(sandbox, "freshdesk", "/api/v2/tickets")[0])["updated_since"] != (
            "1970-01-01T00:00:00Z")
        assert requests_to(sandbox, "hubspot", "/search"), "HubSpot was listed again instead of searched"
        assert all("1970-01-01" not in e["query"] for e in requests_to(sandbox, "salesforce", "/query"))


@pytest.mark.slow  # two ingests of the XS world, one of them in step processes
def test_the_sources_loaded_side_by_side_land_what_one_at_a_time_lands(tiny_world, tmp_path, monkeypatch):
    """Sources extracting at once in their own processes take turns to write: the raw
    tables equal those of a run whose steps run one after another."""
    counts = {}
    with Sandbox(tiny_world, tmp_path / "sandbox") as sandbox:
        for key, value in sandbox.env.items():
            monkeypatch.setenv(key, value)
        for parallel in (True, False):
            home = resolve_home(tmp_path / f"home-{parallel}")
            monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
            run = run_stage(home, "ingest", log=lambda line: None, parallel=parallel)
            assert run.success, run.step_failures()
            counts[parallel] = _raw_counts(home)
    assert counts[True] == counts[False] and counts[True]["raw_zendesk.tickets"] > 0
