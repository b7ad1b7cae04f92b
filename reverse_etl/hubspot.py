"""Writes mapped properties to HubSpot companies with the CRM v3 batch API (≤ 100 inputs,
string values), creating the `cs_*` properties in their own group when missing."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.companies import BatchInputSimplePublicObjectBatchInput, SimplePublicObjectBatchInput
from hubspot.crm.properties import (
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
)

from pipelines.credentials import HubSpotSettings
from reverse_etl.audit import RecordOutcome, SyncRun
from reverse_etl.mapping import Destination
from reverse_etl.salesforce import chunked
from reverse_etl.values import hubspot_value


def hubspot_client(settings: HubSpotSettings) -> HubSpot:
    return HubSpot(access_token=settings.access_token, host=settings.base_url)


def ensure_properties(client: HubSpot, destination: Destination, run: SyncRun) -> list[str]:
    """Create the property group and any missing mapped property; returns what was created."""
    properties = client.crm.properties
    group = destination.property_group
    existing_groups = {g.name for g in properties.groups_api.get_all(destination.object).results}
    run.api_calls += 1
    if group and group["name"] not in existing_groups:
        properties.groups_api.create(
            destination.object, PropertyGroupCreate(name=group["name"], label=group["label"])
        )
        run.api_calls += 1
    existing = {p.name for p in properties.core_api.get_all(destination.object).results}
    run.api_calls += 1
    created = []
    for name, spec in destination.properties.items():
        if name in existing:
            continue
        options = [
            OptionInput(label=value, value=value, display_order=i, hidden=False)
            for i, value in enumerate(spec.get("options") or [])
        ]
        properties.core_api.create(
            destination.object,
            PropertyCreate(
                name=name,
                label=spec["label"],
                type=spec["type"],
                field_type=spec["fieldType"],
                group_name=group["name"] if group else None,
                options=options or None,
            ),
        )
        run.api_calls += 1
        created.append(name)
    return created


def write(client: HubSpot, destination: Destination, rows: list[dict], run: SyncRun) -> None:
    batch_api = client.crm.companies.batch_api
    for chunk in chunked(rows, destination.batch_size):
        inputs = [
            SimplePublicObjectBatchInput(
                id=str(row[destination.match_key]),
                properties={target: hubspot_value(row[column]) for column, target in destination.fields.items()},
            )
            for row in chunk
        ]
        response = batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
        run.api_calls += 1
        failed = _failed_ids(response)
        for row in chunk:
            record_id = str(row[destination.match_key])
            error = failed.get(record_id)
            run.outcomes.append(RecordOutcome(record_id, row["account_id"], error is None, error))


def _failed_ids(response) -> dict[str, str]:
    """A 207 multi-status lists failed inputs in `errors[]` with their ids in `context.ids`."""
    failed: dict[str, str] = {}
    for error in getattr(response, "errors", None) or []:
        message = f"{error.category}: {error.message}"
        for record_id in (error.context or {}).get("ids", []):
            failed[str(record_id)] = message
    return failed
