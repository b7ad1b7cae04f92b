"""HubSpot source: companies, contacts, deals and owners through dlt's REST client.

CRM v3 list endpoints page with `paging.next.after`; objects come back as
`{id, properties: {...}, archived, associations}` and are flattened to one row of
properties per record. Active and archived records are both read, so an archived record
is marked (`archived = true`) rather than silently kept alive. The `cs_*` properties that
reverse ETL writes are never requested.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.credentials import HubSpotSettings, hubspot_settings

PAGE_LIMIT = 100  # the documented maximum for CRM v3 list endpoints

# resource name -> (object type, properties, (associated object type, column for its first id))
Association = tuple[str, str] | None
CRM_OBJECTS: dict[str, tuple[str, list[str], Association]] = {
    "companies": ("companies", [
        "name", "domain", "industry", "numberofemployees", "country", "customer_id", "hubspot_owner_id",
        "lifecyclestage", "customer_status", "createdate", "hs_lastmodifieddate",
    ], None),
    "contacts": ("contacts", [
        "email", "firstname", "lastname", "jobtitle", "associatedcompanyid", "createdate", "lastmodifieddate",
    ], None),
    "deals": ("deals", [
        "dealname", "dealtype", "dealstage", "pipeline", "amount", "closedate", "contract_start_date",
        "contract_end_date", "mrr", "seats", "plan", "createdate", "hs_lastmodifieddate",
    ], ("companies", "company_id")),
}


def _client(settings: HubSpotSettings) -> RESTClient:
    return RESTClient(
        base_url=settings.base_url,
        auth=BearerTokenAuth(settings.access_token),
        paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after"),
        data_selector="results",
    )


def flatten(record: dict, properties: list[str], association: Association) -> dict:
    row = {"id": record["id"], "archived": bool(record.get("archived", False))}
    props = record.get("properties") or {}
    row.update({name: props.get(name) for name in properties})
    if association:
        object_type, column = association
        linked = ((record.get("associations") or {}).get(object_type) or {}).get("results") or []
        row[column] = linked[0]["id"] if linked else None
    return row


@dlt.source(name="hubspot")
def hubspot(settings: HubSpotSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    for name, (object_type, properties, association) in CRM_OBJECTS.items():
        yield dlt.resource(_crm_objects, name=name, primary_key="id", write_disposition="merge")(
            object_type, properties, association, settings
        )
    yield dlt.resource(_owners, name="owners", primary_key="id", write_disposition="merge")(settings)


def _crm_objects(
    object_type: str, properties: list[str], association: Association, settings: HubSpotSettings | None
) -> Iterator[list[dict]]:
    client = _client(settings or hubspot_settings())
    params = {"limit": PAGE_LIMIT, "properties": ",".join(properties)}
    if association:
        params["associations"] = association[0]
    for archived in ("false", "true"):
        for page in client.paginate(f"/crm/v3/objects/{object_type}", params={**params, "archived": archived}):
            yield [flatten(record, properties, association) for record in page]


def _owners(settings: HubSpotSettings | None) -> Iterator[list[dict]]:
    client = _client(settings or hubspot_settings())
    for archived in ("false", "true"):
        for page in client.paginate("/crm/v3/owners", params={"limit": PAGE_LIMIT, "archived": archived}):
            yield [
                {"id": o["id"], "email": o.get("email"), "first_name": o.get("firstName"),
                 "last_name": o.get("lastName"), "archived": bool(o.get("archived", False))}
                for o in page
            ]
