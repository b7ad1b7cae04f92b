"""The dbt graph runs one way: sources -> staging -> intermediate -> marts.

`dbt parse` writes the manifest (no warehouse, no build); every model's layer is the
folder it lives in, and no model reads a layer above its own: a staging model reads
sources, seeds and staging; an intermediate model never reads a mart. The same rule over
a manifest with one planted backwards edge proves the check is not vacuous.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"
DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"

LAYERS = ("staging", "intermediate", "marts")  # bottom to top
PREFIXES = {"staging": "stg_", "intermediate": "int_"}
# The per-domain daily measures feed the score, customer_360 and the validation through
# the one model that joins them.
DAILY_MEASURES = {"int_health__daily_components", "int_support__account_daily", "int_surveys__account_daily",
                  "int_surveys__silent_contacts", "int_training__account_daily", "int_crm__account_engagement_daily"}
DAILY_INPUTS = "int_account__daily_inputs"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("dbt_layers")
    env = {**os.environ, "CS360_HOME": str(home), "CS360_WAREHOUSE": "duckdb"}
    done = subprocess.run(
        [sys.executable, "-c", DBT_MAIN, "parse", "--quiet", "--project-dir", str(PROJECT),
         "--profiles-dir", str(PROJECT), "--target-path", str(home / "target"), "--log-path", str(home / "logs")],
        env=env, cwd=home, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((home / "target" / "manifest.json").read_text())


def model_layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]  # models/<layer>/...


def models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def layer_violations(manifest: dict) -> list[str]:
    """'<model> (<layer>) reads <upstream> (<layer>)' for every edge that runs downwards."""
    by_id = models(manifest)
    found = []
    for node in by_id.values():
        layer = model_layer(node)
        for upstream_id in node["depends_on"]["nodes"]:
            upstream = by_id.get(upstream_id)
            if upstream is None:  # a source or a seed: below every layer
                continue
            upstream_layer = model_layer(upstream)
            if LAYERS.index(upstream_layer) > LAYERS.index(layer):
                found.append(f"{node['name']} ({layer}) reads {upstream['name']} ({upstream_layer})")
    return sorted(found)


def readers(manifest: dict, name: str) -> set[str]:
    return {node["name"] for node in models(manifest).values()
            if any(uid.endswith(f".{name}") for uid in node["depends_on"]["nodes"])}


def test_every_model_sits_in_a_layer_named_by_its_prefix(manifest):
    misplaced = []
    for node in models(manifest).values():
        layer = model_layer(node)
        assert layer in LAYERS, node["original_file_path"]
        expected = PREFIXES.get(layer)
        has_prefix = node["name"].startswith(tuple(PREFIXES.values()))
        if (expected and not node["name"].startswith(expected)) or (not expected and has_prefix):
            misplaced.append(f"{node['name']} in {layer}")
    assert misplaced == []


def test_no_model_reads_a_layer_above_its_own(manifest):
    assert layer_violations(manifest) == []


def test_a_backwards_edge_is_found(manifest):
    planted = copy.deepcopy(manifest)
    by_name = {node["name"]: uid for uid, node in models(planted).items()}
    planted["nodes"][by_name["int_support__tickets"]]["depends_on"]["nodes"].append(by_name["identity_bridge"])
    planted["nodes"][by_name["stg_zendesk__tickets"]]["depends_on"]["nodes"].append(by_name["int_support__tickets"])
    assert layer_violations(planted) == [
        "int_support__tickets (intermediate) reads identity_bridge (marts)",
        "stg_zendesk__tickets (staging) reads int_support__tickets (intermediate)",
    ]


def test_identity_resolution_is_intermediate_and_the_mart_only_exposes_it(manifest):
    by_name = {node["name"]: node for node in models(manifest).values()}
    assert [uid.split(".")[-1] for uid in by_name["identity_bridge"]["depends_on"]["nodes"]] == ["int_identity__bridge"]
    assert readers(manifest, "int_identity__bridge") >= {
        "int_support__tickets", "int_surveys__responses", "int_surveys__invitations", "int_training__enrollments"}


def test_the_daily_account_inputs_are_joined_once(manifest):
    for name in DAILY_MEASURES:
        assert readers(manifest, name) == {DAILY_INPUTS}, name
    assert {"int_health__scored_days", "customer_360"} <= readers(manifest, DAILY_INPUTS)
    assert readers(manifest, "int_health__scored_days") == {"int_health__component_values", "int_health__scores"}


def test_validation_reads_the_score_history_in_the_intermediate_layer(manifest):
    assert readers(manifest, "int_health__scores") >= {"health_scores", "int_validation__rated_pairs",
                                                        "alert_validation"}
    validation = {node["name"] for node in models(manifest).values() if node["name"].startswith("int_validation__")}
    assert validation and not validation & readers(manifest, "health_scores")
