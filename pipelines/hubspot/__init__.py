"""HubSpot source: companies, contacts, deals and owners through dlt's REST client.

CRM v3 objects come back as `{id, properties: {...}, archived, associations}` and are
flattened to one row of properties per record. The `cs_*` properties that reverse ETL
writes are never requested.

Incremental by last modification, with the cursor (the newest modification loaded) in dlt
state per object type:

- the first run lists every object (`GET /crm/v3/objects/{type}`, `paging.next.after`),
  with the associations the rows need (deal → company, contact → company);
- later runs ask the search API for what changed since: a filter `GTE` on the object's
  last-modified property (`hs_lastmodifieddate`; `lastmodifieddate` for contacts, as
  HubSpot names it there) sorted ascending, 200 per page. Search answers at most 10,000
  results per query, so a longer change list is read in windows, each starting at the
  newest modification seen. Search does not return associations: a changed deal is read
  again by id with its company association (or, when many changed, all deals are listed);
- search never returns archived records, so each run also lists `archived=true` and
  marks those rows `archived = true` instead of keeping them alive.

Owners have no change filter and are few: listed in full every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.credentials import HubSpotSettings, hubspot_settings
from pipelines.cursors import UpdatedSince
from pipelines.http import raise_for_status, rest_client
from pipelines.validation import (
    RecordSpec, as_rejects, boolean, change_stamp, columns, declare_columns, identifier, rejected_row, rejects_resource, timestamp,
)

PAGE_LIMIT = 100  # the documented maximum for CRM v3 list endpoints
SEARCH_LIMIT = 200  # the documented maximum page of the search endpoints
SEARCH_MAX_RESULTS = 10_000  # search answers at most this many results per query
REREAD_LIMIT = 100  # changed deals read again one by one for their association; above, list all
MAX_WINDOWS = 1000

# resource name -> (object type, properties, last-modified property, (associated type, column))
Association = tuple[str, str] | None
CRM_OBJECTS: dict[str, tuple[str, list[str], str, Association]] = {
    "companies": ("companies", [
        "name", "domain", "industry", "numberofemployees", "country", "customer_id", "hubspot_owner_id",
        "lifecyclestage", "customer_status", "createdate", "hs_lastmodifieddate",
    ], "hs_lastmodifieddate", None),
    "contacts": ("contacts", [
        "email", "firstname", "lastname", "jobtitle", "associatedcompanyid", "createdate", "lastmodifieddate",
    ], "lastmodifieddate", ("companies", "associatedcompanyid")),
    "deals": ("deals", [
        "dealname", "dealtype", "dealstage", "pipeline", "amount", "closedate", "contract_start_date",
        "contract_end_date", "mrr", "seats", "plan", "createdate", "hs_lastmodifieddate",
    ], "hs_lastmodifieddate", ("companies", "company_id")),
}
TIMESTAMPS = {"createdate", "hs_lastmodifieddate", "lastmodifieddate", "closedate"}
COLUMNS = {
    name: columns(id="text_key", archived="bool", **{p: "timestamp" if p in TIMESTAMPS else "text"
                                                      for p in props + ([assoc[1]] if assoc else [])})
    for name, (_, props, _, assoc) in CRM_OBJECTS.items()
}
OWNER_COLUMNS = columns(id="text_key", email="text", first_name="text", last_name="text", archived="bool")


def _spec(name: str) -> RecordSpec:
    modified = CRM_OBJECTS[name][2]
    return RecordSpec(name, required={"id": identifier, f"properties.{modified}": change_stamp},
                      optional={"archived": boolean, "properties.createdate": timestamp})


def _client(settings: HubSpotSettings) -> RESTClient:
    return rest_client(settings.base_url, auth=BearerTokenAuth(settings.access_token))


def _list_paginator() -> JSONResponseCursorPaginator:
    return JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")


def flatten(record: dict, properties: list[str], association: Association) -> dict:
    row = {"id": str(record["id"]), "archived": bool(record.get("archived", False))}
    props = record.get("properties") or {}
    row.update({name: props.get(name) for name in properties})
    if association:
        object_type, column = association
        linked = ((record.get("associations") or {}).get(object_type) or {}).get("results") or []
        first = str(linked[0]["id"]) if linked else None
        # contacts carry their primary company as a property; the association fills a gap
        row[column] = row.get(column) or first
    return row


@dlt.source(name="hubspot")
def hubspot(settings: HubSpotSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({**COLUMNS, "owners": OWNER_COLUMNS})
    for name in CRM_OBJECTS:
        yield dlt.resource(_crm_objects, name=name, primary_key="id", write_disposition="merge")(name, settings)
    yield dlt.resource(_owners, name="owners", primary_key="id", write_disposition="merge")(settings)
    yield rejects_resource()


def _crm_objects(name: str, settings: HubSpotSettings | None) -> Iterator[Any]:
    object_type, properties, modified, association = CRM_OBJECTS[name]
    client = _client(settings or hubspot_settings())
    spec = _spec(name)
    cursor = UpdatedSince(modified)

    def rows(records: list[dict]) -> Iterator[Any]:
        for item in spec.split(records, lambda r: flatten(r, properties, association)):
            if isinstance(item, list):
                cursor.observe(item)
            yield item

    if cursor.first_run:
        for page in _list(client, object_type, properties, association, archived=False):
            yield from rows(page)
    else:
        # search returns no associations: an association that is not also a property
        # (deal -> company) is read again for the changed records
        reread = association is not None and association[1] not in properties
        changed: list[str] = []
        for page in _search(client, object_type, properties, modified, cursor):
            if not reread:
                yield from rows(page)
                continue
            for item in spec.split(page, lambda r: flatten(r, properties, None)):
                if isinstance(item, list):
                    cursor.observe(item)
                    changed += [row["id"] for row in item]
                else:
                    yield item
        if changed:
            yield from _reread(client, name, changed, rows)
    for page in _list(client, object_type, properties, association, archived=True):
        yield from rows(page)


def _list(client: RESTClient, object_type: str, properties: list[str], association: Association,
          archived: bool) -> Iterator[list[dict]]:
    params = {"limit": PAGE_LIMIT, "properties": ",".join(properties), "archived": str(archived).lower()}
    if association:
        params["associations"] = association[0]
    yield from client.paginate(f"/crm/v3/objects/{object_type}", params=params, paginator=_list_paginator(),
                               data_selector="results")


def _search(client: RESTClient, object_type: str, properties: list[str], modified: str,
            cursor: UpdatedSince) -> Iterator[list[dict]]:
    """Records modified at or after the cursor, oldest first, in windows of at most
    10,000 results (each window starts at the newest modification of the previous one)."""
    since = cursor.since
    for _ in range(MAX_WINDOWS):
        body = {
            "filterGroups": [{"filters": [{"propertyName": modified, "operator": "GTE",
                                           "value": str(int(since.timestamp() * 1000))}]}],
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": SEARCH_LIMIT,
        }
        paginator = JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_body_path="after")
        seen = total = 0
        for page in client.paginate(f"/crm/v3/objects/{object_type}/search", method="POST", json=body,
                                    paginator=paginator, data_selector="results"):
            total = page.response.json().get("total", 0)
            seen += len(page)
            yield page  # the caller observes the page's modifications into the cursor
        if seen >= total or seen < SEARCH_MAX_RESULTS or cursor.newest <= since:
            return
        since = cursor.newest


def _reread(client: RESTClient, name: str, ids: list[str], rows) -> Iterator[Any]:
    """Changed deals with their company association: one by one when few, else all listed."""
    object_type, properties, _, association = CRM_OBJECTS[name]
    unique = list(dict.fromkeys(ids))
    if len(unique) > REREAD_LIMIT:
        for page in _list(client, object_type, properties, association, archived=False):
            yield from rows(page)
        return
    params = {"properties": ",".join(properties), "associations": association[0]}
    found, bad = [], []
    for object_id in unique:
        response = client.get(f"/crm/v3/objects/{object_type}/{object_id}", params=params)
        if response.status_code == 404:  # archived in between: the archived listing marks it
            continue
        record = raise_for_status(response).json()
        problems = _spec(name).problems(record)
        if problems:
            bad.append(rejected_row(name, record, "; ".join(problems)))
        else:
            found.append(record)
    if found:
        yield from rows(found)
    if bad:
        yield as_rejects(bad)


def _owners(settings: HubSpotSettings | None) -> Iterator[list[dict]]:
    client = _client(settings or hubspot_settings())
    for archived in ("false", "true"):
        for page in client.paginate("/crm/v3/owners", params={"limit": PAGE_LIMIT, "archived": archived},
                                    paginator=_list_paginator(), data_selector="results"):
            yield [
                {"id": str(o["id"]), "email": o.get("email"), "first_name": o.get("firstName"),
                 "last_name": o.get("lastName"), "archived": bool(o.get("archived", False))}
                for o in page
            ]
