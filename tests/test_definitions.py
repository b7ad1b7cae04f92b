"""The Dagster definitions: one lineage graph, a job, a schedule, one DuckDB writer."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey

from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.definitions import build_definitions
from orchestration.translator import Cs360DbtTranslator


@pytest.fixture(scope="module")
def defs(module_home):
    return build_definitions(module_home)


@pytest.fixture(scope="module")
def asset_graph(defs):
    return defs.resolve_asset_graph()


def _dlt_keys(asset_graph) -> set[AssetKey]:
    return {key for key in asset_graph.get_all_asset_keys() if "dlt" in asset_graph.get(key).kinds}


def test_every_dbt_source_is_a_dlt_or_learning_asset(module_home, asset_graph):
    manifest = json.loads((module_home.dbt_target / "manifest.json").read_text())
    translator = Cs360DbtTranslator()
    source_keys = {translator.get_asset_key(props) for props in manifest["sources"].values()}
    assert source_keys, "the dbt project declares no sources"
    learned = {key for key in asset_graph.get_all_asset_keys() if asset_graph.get(key).group_name == "learn"}
    assert AssetKey(["learning", "scorecard_weights"]) in source_keys & learned
    assert source_keys <= _dlt_keys(asset_graph) | learned


def test_no_orphan_keys(asset_graph):
    materializable = {key for key in asset_graph.get_all_asset_keys() if asset_graph.get(key).is_materializable}
    for key in asset_graph.get_all_asset_keys():
        assert asset_graph.get(key).parent_keys <= materializable, key.to_user_string()
    assert materializable == asset_graph.get_all_asset_keys()


def test_lineage_runs_from_raw_tables_to_the_crm(asset_graph):
    upstream = asset_graph.get(AssetKey(["reverse_etl", "salesforce_account"])).parent_keys
    assert AssetKey(["marts", "crm_account_health"]) in upstream
    ancestors = asset_graph.upstream_key_iterator(AssetKey(["reverse_etl", "hubspot_companies"]))
    assert {AssetKey(["raw_product", "events"]), AssetKey(["raw_hubspot", "companies"])} <= set(ancestors)


def test_every_asset_has_group_owner_and_description(asset_graph):
    for key in asset_graph.get_all_asset_keys():
        node = asset_graph.get(key)
        assert node.group_name in {"ingest", "transform", "learn", "activate"}, key
        assert node.owners, key
        assert node.description, key


def test_writers_share_the_duckdb_pool(defs):
    """Every step that touches the warehouse is in the one writer pool, except the sources:
    they extract outside it and claim the writer slot only to load (orchestration/writer_slot.py)."""
    for assets_def in defs.assets:
        groups = set(assets_def.group_names_by_key.values())
        expected = None if groups == {"ingest"} else DUCKDB_WRITER_POOL
        assert assets_def.node_def.pool == expected, assets_def.node_def.name


def test_job_and_daily_schedule(defs):
    job = defs.resolve_job_def("cs360_all")
    schedule = defs.resolve_schedule_def("cs360_daily")
    assert schedule.job_name == job.name
    assert schedule.cron_schedule == "0 5 * * *"
    assert set(job.asset_layer.executable_asset_keys) == set(defs.resolve_asset_graph().get_all_asset_keys())
