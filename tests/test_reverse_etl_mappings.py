"""A broken `reverse_etl/mappings.yaml` fails the sync, with every problem listed, and
nothing else: the Dagster code location still loads and the other assets still run."""

from __future__ import annotations

import pytest
from dagster import AssetKey

from cs360.cli import main
from orchestration.defs.crm_sync import SYNC_ASSET_KEYS
from orchestration.definitions import build_definitions
from reverse_etl import mapping

NOT_YAML = "model: marts.crm_account_health\ndestinations:\n  salesforce: {object: Account\n"
MALFORMED = """\
model: marts.crm_account_health
destinations:
  salesforce:
    object: Account
    batch_size: lots
    fields: {health_score: CS_Health_Score__c, health_band: 42}
  hubspot:
    object: companies
    match_key: hubspot_company_id
    batch_size: 100
"""


@pytest.fixture
def broken_mappings(tmp_path, monkeypatch):
    def write(text: str):
        path = tmp_path / "mappings.yaml"
        path.write_text(text)
        monkeypatch.setattr(mapping, "DEFAULT_MAPPINGS", path)
        return path

    return write


def test_every_problem_of_a_malformed_file_is_listed(broken_mappings):
    broken_mappings(MALFORMED)
    with pytest.raises(mapping.MappingError) as caught:
        mapping.load_mappings()
    assert caught.value.problems == [
        "mappings.yaml: salesforce: `match_key` is missing",
        "mappings.yaml: salesforce: batch_size: expected a whole number, got 'lots'",
        "mappings.yaml: salesforce: field 'health_band': expected a field name or {field: Name, optional: true}, "
        "got 42",
        "mappings.yaml: hubspot: `fields` is missing",
    ]
    broken_mappings(NOT_YAML)
    with pytest.raises(mapping.MappingError, match=r"mappings.yaml: not valid YAML at line 4, column 1"):
        mapping.load_mappings()


def test_the_code_location_loads_and_only_the_sync_step_fails(module_home, broken_mappings, capsys):
    broken_mappings(MALFORMED)
    defs = build_definitions(module_home)  # raised before: the whole code location was down
    assert set(SYNC_ASSET_KEYS.values()) <= set(defs.resolve_asset_graph().get_all_asset_keys())
    assert AssetKey(["marts", "crm_account_health"]) in defs.resolve_asset_graph().get_all_asset_keys()

    result = defs.resolve_job_def("cs360_sync").execute_in_process(
        raise_on_error=False, asset_selection=[SYNC_ASSET_KEYS["salesforce"]])
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.event_specific_data.error.message
    assert "salesforce: the sync was stopped before any write, 4 problem(s)" in message
    assert "batch_size: expected a whole number, got 'lots'" in message and "`fields` is missing" in message

    assert main(["sync", "--home", str(module_home.root), "--target", "hubspot"]) == 1
    assert "hubspot: `fields` is missing" in capsys.readouterr().err
