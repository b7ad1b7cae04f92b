"""The registry of systems (orchestration/systems.py) is the one list the rest derives from.

The dbt sources YAML and each dlt source must match it, and a toy system added here, in
the test only (its dlt source and settings standing in for a folder under `pipelines/`,
plus one registry entry), appears in the Dagster definitions, the hourly job, the
launches' skipping of unconfigured systems, a real load, `cs360 status` and the raw fixture.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dlt
import duckdb
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, build_schedule_context

from cs360 import report
from cs360.runner import run_stage
from cs360.status import print_status
from cs360_core.configuration import required
from orchestration.automation import FRESHNESS_TAG, SYSTEM_TAG, freshness_window
from orchestration.definitions import build_definitions
from orchestration.launch import launch_selection
from orchestration.systems import DLT_COLUMNS, FREQUENT, SYSTEMS, System
from pipelines.validation import rejects_resource

ROOT = Path(__file__).resolve().parents[1]
STAGING = ROOT / "dbt_project" / "models" / "staging"

_spec = importlib.util.spec_from_file_location("dbt_raw_fixture", Path(__file__).with_name("dbt_raw_fixture.py"))
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)


def _dbt_sources() -> dict[str, dict]:
    """Source name -> {schema, tables: {identifier: [columns]}} from every `_<source>__sources.yml`."""
    found = {}
    for path in sorted(STAGING.glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            found[source["name"]] = {
                "path": path.relative_to(ROOT).as_posix(),
                "schema": source["schema"],
                "tables": {table.get("identifier", table["name"]): [c["name"] for c in table.get("columns", [])]
                           for table in source["tables"]},
            }
    return found


def test_every_raw_dbt_source_is_a_registered_system_and_the_reverse():
    raw_sources = {name for name, source in _dbt_sources().items() if source["schema"].startswith("raw_")}
    assert raw_sources == {system.dbt_source_name for system in SYSTEMS}


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda system: system.name)
def test_registry_tables_and_columns_are_the_dbt_sources(system):
    source = _dbt_sources()[system.dbt_source_name]
    assert source["path"] == f"dbt_project/models/staging/{system.dbt_source_name}/_{system.dbt_source_name}__sources.yml"
    assert source["schema"] == system.raw_dataset
    declared = {table: set(columns) - set(DLT_COLUMNS) for table, columns in source["tables"].items()}
    assert declared == {table: set(columns) for table, columns in system.raw_tables.items()}


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda system: system.name)
def test_registry_tables_are_the_tables_the_dlt_source_writes(system):
    source = system.source()  # without settings: names the resources, reads nothing
    assert source.name == system.name
    assert set(source.resources.selected) == set(system.raw_tables)


# --- a toy system, added in the test only -------------------------------------------------

def toy_settings() -> dict:
    [token] = required("the toy", "toy", "TOY_API_TOKEN")
    return {"token": token}


@dlt.source(name="toy")
def toy(settings: dict | None = None):
    @dlt.resource(name="widgets", primary_key="id", write_disposition="merge")
    def widgets():
        (settings or toy_settings())  # noqa: B018  (a real source builds its client here)
        yield [{"id": 1, "name": "sprocket"}, {"id": 2, "name": "gear"}]

    yield widgets
    yield rejects_resource()


TOY = System(name="toy", source=toy, settings=toy_settings, env_vars=("TOY_API_TOKEN",), freshness=FREQUENT,
             tables={"widgets": {"id": "BIGINT", "name": "VARCHAR"}}, description="A toy system")
WITH_TOY = (*SYSTEMS, TOY)
TOY_KEYS = {AssetKey(["raw_toy", "widgets"]), AssetKey(["raw_toy", "_rejected_records"])}
TOY_SKIP_LINE = "toy: TOY_API_TOKEN is not set, skipping the toy"


@pytest.fixture
def nothing_configured(monkeypatch):
    for system in WITH_TOY:
        for name in system.env_vars:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)


@pytest.fixture(scope="module")
def toy_defs(module_home):
    return build_definitions(module_home, WITH_TOY)


def test_toy_system_is_in_the_definitions_and_the_hourly_job(toy_defs):
    graph = toy_defs.resolve_asset_graph()
    assert TOY_KEYS <= set(graph.get_all_asset_keys())
    widgets = graph.get(AssetKey(["raw_toy", "widgets"]))
    assert widgets.group_name == "ingest"
    assert (widgets.tags[SYSTEM_TAG], widgets.tags[FRESHNESS_TAG]) == ("toy", "frequent")
    hourly = toy_defs.resolve_job_def("cs360_voice_of_customer")
    assert TOY_KEYS <= set(hourly.asset_layer.executable_asset_keys)
    assert TOY_KEYS <= set(toy_defs.resolve_job_def("cs360_ingest").asset_layer.executable_asset_keys)
    assert freshness_window(TOY.freshness).total_seconds() == 2 * 3600


def test_toy_system_unconfigured_is_left_out_of_every_launch_with_one_line(toy_defs, nothing_configured):
    launch = launch_selection(toy_defs.resolve_job_def("cs360_all"), toy_defs.resolve_asset_graph(), WITH_TOY)
    assert launch.skipped["toy"] == TOY_SKIP_LINE
    assert not TOY_KEYS & set(launch.selection)
    assert AssetKey(["marts", "customer_360"]) in launch.selection  # dbt reads an absent raw table as empty

    hourly = toy_defs.resolve_schedule_def("cs360_hourly_voice_of_customer")
    context = build_schedule_context(instance=DagsterInstance.ephemeral(), repository_def=toy_defs.get_repository_def())
    result = hourly.evaluate_tick(context)
    assert result.run_requests == []
    assert result.skip_message == "cs360_voice_of_customer: every system it needs is unconfigured, nothing to run"


def test_toy_system_configured_is_scheduled_loaded_and_reported(toy_defs, module_home, nothing_configured,
                                                               monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TOY_API_TOKEN", "toy-token")
    hourly = toy_defs.resolve_schedule_def("cs360_hourly_voice_of_customer")
    context = build_schedule_context(instance=DagsterInstance.ephemeral(), repository_def=toy_defs.get_repository_def())
    [request] = hourly.evaluate_tick(context).run_requests
    assert set(request.asset_selection) == TOY_KEYS  # zendesk, freshdesk and surveys are unconfigured

    lines = []
    stage = run_stage(module_home, "ingest", log=lines.append, defs=toy_defs, systems=WITH_TOY)

    assert stage.success, stage.failures()
    assert "toy" not in stage.skipped and len(stage.skipped) == len(SYSTEMS)
    assert TOY_SKIP_LINE not in lines
    with report.warehouse(module_home) as con:
        assert report.raw_row_counts(con, WITH_TOY)["raw_toy.widgets"] == 2
        assert "raw_toy" in report.source_freshness(con, WITH_TOY)
    print_status(module_home, WITH_TOY)
    assert "  raw_toy " in capsys.readouterr().out

    warehouse = fixture.write_raw_fixture(tmp_path / "raw.duckdb", systems=WITH_TOY)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [row[0] for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw_toy' "
            "and table_name = 'widgets' order by ordinal_position").fetchall()]
    assert columns == ["id", "name", "_dlt_load_id", "_dlt_id"]
