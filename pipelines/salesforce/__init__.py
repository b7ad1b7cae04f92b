"""Salesforce source: the sObjects the marts need, read with SOQL through simple-salesforce.

Each object is a small resource, incremental on `SystemModstamp` (the newest one loaded is
kept in dlt state) and merged on `Id`. It queries with `queryAll` so that deleted records
arrive with `IsDeleted = true` (a delete bumps `SystemModstamp`) and are marked in the
warehouse instead of silently kept alive; `User` cannot be deleted and is read with
`query`. Only fields the marts need are read; the `CS_*` fields that reverse ETL writes
are never read back. Requests go through the retrying session of `pipelines.http`, with
Salesforce's rules of `cs360_core.http` (the same as the writer's).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import dlt
from dlt.sources import DltResource

from pipelines.credentials import SalesforceSettings, salesforce_settings
from pipelines.cursors import UpdatedSince, iso_seconds
from pipelines.http import retrying_session
from pipelines.salesforce.client import salesforce_client
from pipelines.validation import RecordSpec, boolean, change_stamp, rejects_resource

BATCH = 2000  # records per yielded batch (one SOQL page)

# resource name -> (sObject, fields). Resource names are plural to avoid SQL keywords.
SOBJECTS: dict[str, tuple[str, list[str]]] = {
    "accounts": ("Account", [
        "Id", "Name", "AccountNumber", "Website", "Industry", "NumberOfEmployees", "BillingCountry",
        "Type", "OwnerId", "CreatedDate", "SystemModstamp", "IsDeleted",
    ]),
    "contacts": ("Contact", [
        "Id", "AccountId", "Email", "FirstName", "LastName", "Title", "CreatedDate", "SystemModstamp", "IsDeleted",
    ]),
    "contracts": ("Contract", [
        "Id", "AccountId", "ContractNumber", "StartDate", "EndDate", "Status", "ContractTerm",
        "MRR__c", "Seats__c", "Plan__c", "CreatedDate", "SystemModstamp", "IsDeleted",
    ]),
    "opportunities": ("Opportunity", [
        "Id", "AccountId", "Name", "Type", "StageName", "CloseDate", "Amount", "IsClosed", "IsWon",
        "CreatedDate", "SystemModstamp", "IsDeleted",
    ]),
    # activities: queryAll also returns those Salesforce archived (older than a year)
    "tasks": ("Task", [
        "Id", "WhoId", "WhatId", "AccountId", "OwnerId", "Subject", "Type", "TaskSubtype", "Status",
        "ActivityDate", "CompletedDateTime", "CreatedDate", "SystemModstamp", "IsDeleted",
    ]),
    "events": ("Event", [
        "Id", "WhoId", "WhatId", "AccountId", "OwnerId", "Subject", "Type", "EventSubtype",
        "StartDateTime", "EndDateTime", "ActivityDate", "DurationInMinutes", "CreatedDate", "SystemModstamp",
        "IsDeleted",
    ]),
    "users": ("User", ["Id", "Email", "Name", "IsActive", "SystemModstamp"]),
}



def fields_read(sobject: str) -> set[str]:
    """The fields of `sobject` this source reads: reverse ETL must never write one of them."""
    return {field for name, (read_object, fields) in SOBJECTS.items()
            if read_object.lower() == sobject.lower() for field in fields}


def soql(sobject: str, fields: list[str], modified_since: datetime) -> str:
    """`SystemModstamp >=` the cursor (floored to the second): the records changed at the
    cursor come again and merge onto themselves, none changed in the same second is lost."""
    return (
        f"SELECT {', '.join(fields)} FROM {sobject} "
        f"WHERE SystemModstamp >= {iso_seconds(modified_since)} ORDER BY SystemModstamp ASC"
    )


def _spec(name: str, fields: list[str]) -> RecordSpec:
    """`SystemModstamp` is the cursor field: a far-future stamp is quarantined, or it would be
    merged over the good record with the same Id (and, as the newest, win every later merge)."""
    optional = {"IsDeleted": boolean} if "IsDeleted" in fields else {}
    return RecordSpec(name, required={"Id": salesforce_id, "SystemModstamp": change_stamp}, optional=optional)


def salesforce_id(value: object) -> str | None:
    if isinstance(value, str) and len(value) in (15, 18) and value.isalnum():
        return None
    return f"expected a 15 or 18 character Salesforce Id, got {value!r}"


@dlt.source(name="salesforce")
def salesforce(settings: SalesforceSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    for name, (sobject, fields) in SOBJECTS.items():
        yield dlt.resource(
            _sobject_records,
            name=name,
            primary_key="Id",
            write_disposition="merge",
        )(name, sobject, fields, settings)
    yield rejects_resource()


def _sobject_records(name: str, sobject: str, fields: list[str], settings: SalesforceSettings | None) -> Iterator:
    """Changed records since the cursor, deleted ones included (`queryAll`, `IsDeleted`)."""
    client = salesforce_client(settings or salesforce_settings(), session=retrying_session("salesforce"))
    cursor = UpdatedSince("SystemModstamp")
    spec = _spec(name, fields)
    batch: list[dict] = []
    query = soql(sobject, fields, cursor.since)
    for record in client.query_all_iter(query, include_deleted="IsDeleted" in fields):
        record.pop("attributes", None)
        batch.append(record)
        if len(batch) >= BATCH:
            yield from _checked(spec, batch, cursor)
            batch = []
    if batch:
        yield from _checked(spec, batch, cursor)


def _checked(spec: RecordSpec, records: list[dict], cursor: UpdatedSince) -> Iterator:
    for item in spec.split(records):
        if isinstance(item, list):
            cursor.observe(item)
        yield item
