"""One naming rule for warehouse tables, shared by dlt and dbt, so lineage is one graph.

A raw table is `AssetKey([dataset, table])` whether dlt writes it (`raw_salesforce`,
resource `accounts`) or dbt reads it (source `salesforce`, schema `raw_salesforce`,
table `accounts`). dbt models are keyed `[schema, model]` (`marts/customer_360`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec, AutomationCondition, FreshnessPolicy
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from orchestration.automation import DOWNSTREAM_AUTOMATION, FRESHNESS_TAG, SYSTEM_TAG, freshness_window

OWNER = "team:data-platform"


def warehouse_table_key(schema: str, table: str) -> AssetKey:
    return AssetKey([schema, table])


class Cs360DltTranslator(DagsterDltTranslator):
    """`freshness` is the system's class in the registry (orchestration/systems.py).

    Each raw table is tagged with its system and freshness class: launches leave out the
    tables of an unconfigured system by the tag, and the hourly job selects by it. Raw
    tables are skippable: a step whose system is unconfigured says so and yields nothing."""

    def __init__(self, freshness: str) -> None:
        super().__init__()
        self.freshness = freshness

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        dataset = data.pipeline.dataset_name
        table = data.resource.table_name
        system = data.resource.source_name
        spec = super().get_asset_spec(data)
        return (
            spec
            .replace_attributes(
                key=warehouse_table_key(dataset, table),
                deps=[],  # raw tables are the roots of the graph: no phantom upstream keys
                group_name="ingest",
                owners=[OWNER],
                description=f"`{dataset}.{table}`, landed by dlt from {data.resource.source_name}.",
                kinds={"dlt", "duckdb", system},
                tags={**spec.tags, SYSTEM_TAG: system, FRESHNESS_TAG: self.freshness},
                freshness_policy=FreshnessPolicy.time_window(fail_window=freshness_window(self.freshness)),
                skippable=True,
            )
        )


class Cs360DbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        name = dbt_resource_props.get("identifier") or dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return warehouse_table_key(dbt_resource_props["schema"], name)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transform"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        return DOWNSTREAM_AUTOMATION

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_resource_props.get("description") or f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']}"
