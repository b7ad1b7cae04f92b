"""Salesforce source: the sObjects the marts need, read with SOQL through simple-salesforce.

Each object is a small resource, incremental on `SystemModstamp` and merged on `Id`. It
queries with `queryAll` so that deleted records arrive with `IsDeleted = true` and are
marked in the warehouse instead of silently kept alive. Only fields the marts need are
read; the `CS_*` fields that reverse ETL writes are never read back.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
from dlt.sources import DltResource

from pipelines.credentials import SalesforceSettings, salesforce_settings
from pipelines.salesforce.client import salesforce_client

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
    "users": ("User", ["Id", "Email", "Name", "IsActive", "SystemModstamp"]),
}

# SOQL datetime literals are unquoted ISO-8601 in UTC.
_EPOCH = "1970-01-01T00:00:00.000+0000"


def soql(sobject: str, fields: list[str], modified_after: str) -> str:
    since = modified_after.replace("+0000", "Z").replace(".000Z", "Z")
    return (
        f"SELECT {', '.join(fields)} FROM {sobject} "
        f"WHERE SystemModstamp > {since} ORDER BY SystemModstamp ASC"
    )


@dlt.source(name="salesforce")
def salesforce(settings: SalesforceSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    for name, (sobject, fields) in SOBJECTS.items():
        yield dlt.resource(
            _sobject_records,
            name=name,
            primary_key="Id",
            write_disposition="merge",
        )(sobject, fields, settings)


def _sobject_records(
    sobject: str,
    fields: list[str],
    settings: SalesforceSettings | None,
    modstamp: dlt.sources.incremental[str] = dlt.sources.incremental("SystemModstamp", initial_value=_EPOCH),
) -> Iterator[dict]:
    client = salesforce_client(settings or salesforce_settings())
    query = soql(sobject, fields, modstamp.last_value)
    for record in client.query_all_iter(query, include_deleted=sobject != "User"):
        record.pop("attributes", None)
        yield record
