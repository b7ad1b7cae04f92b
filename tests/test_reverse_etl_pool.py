"""The warehouse writer pool (`duckdb_writer`, one step at a time) holds on the Dagster
instance that actually runs, also when DAGSTER_HOME points outside the cs360 home."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, Definitions, asset

from cs360.runner import run_stage
from cs360_core.settings import resolve_home
from orchestration.automation import DUCKDB_WRITER_POOL, STAGE_JOBS


@asset(group_name="activate", pool=DUCKDB_WRITER_POOL)
def writes_the_warehouse() -> None:
    return None


def tiny_defs() -> Definitions:
    return Definitions(assets=[writes_the_warehouse], jobs=[STAGE_JOBS["sync"]])


@pytest.fixture(autouse=True)
def restored_env(monkeypatch):
    for key in ("DAGSTER_HOME", "CS360_HOME", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        monkeypatch.delenv(key, raising=False)  # resolve_home sets them: undone after each test


def pool_limit() -> tuple[int | None, bool]:
    with DagsterInstance.get() as instance:
        info = instance.event_log_storage.get_concurrency_info(DUCKDB_WRITER_POOL)
        return info.limit, info.using_default_limit


def test_an_instance_elsewhere_gets_the_writer_pool_limit(tmp_path, monkeypatch):
    elsewhere = tmp_path / "team-dagster"
    elsewhere.mkdir()
    (elsewhere / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # the operator's own file
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))
    home = resolve_home(tmp_path / "home")
    assert pool_limit() == (None, True)  # the home's dagster.yaml is not this instance's: no limit

    lines = []
    stage = run_stage(home, "sync", log=lines.append, defs=tiny_defs(), log_level="ERROR")
    assert stage.success
    assert pool_limit() == (1, False)
    assert lines[0] == f"Dagster instance {elsewhere}: writer pool limited to one step at a time"
    assert (elsewhere / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"  # left alone

    lines.clear()
    assert run_stage(home, "sync", log=lines.append, defs=tiny_defs(), log_level="ERROR").success
    assert not any("writer pool" in line for line in lines)  # set once, kept by the instance


def test_the_homes_own_instance_keeps_its_configured_default(tmp_path, monkeypatch):
    home = resolve_home(tmp_path / "home")
    lines = []
    assert run_stage(home, "sync", log=lines.append, defs=tiny_defs(), log_level="ERROR").success
    assert pool_limit() == (1, True)  # from cs360's dagster.yaml: nothing stored on top
    assert not any("writer pool" in line for line in lines)
