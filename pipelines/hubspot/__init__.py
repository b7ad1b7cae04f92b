"""HubSpot source: companies, contacts, deals, owners and the engagement objects (calls,
meetings, e-mails, notes: the CRM activities) through dlt's REST client.

CRM v3 objects come back as `{id, properties: {...}, archived, associations}` and are
flattened to one row of properties per record. The `cs_*` properties that reverse ETL
writes are never requested.

Incremental by last modification, with the cursor (the newest modification loaded) in dlt
state per object type:

- the first run lists every object (`GET /crm/v3/objects/{type}`, `paging.next.after`),
  with the associations the rows need (deal → company, contact → company, an engagement
  → its company and contact);
- later runs ask the search API for what changed since: a filter `GTE` on the object's
  last-modified property (`hs_lastmodifieddate`; `lastmodifieddate` for contacts, as
  HubSpot names it there) sorted ascending, 200 per page. Search pages by offset (`after`):
  a record modified while the search runs moves to the end and every later one moves back
  one place, so the one at the next page boundary would never be read; and a query
  reaches only its first 10,000 results (HubSpot answers 400 past them). So every page is
  the first page of a new query from the newest modification read so far (a keyset; the
  records of that millisecond come again, the merge on `id` makes that harmless).
  Engagements are searched the same way, on `hs_lastmodifieddate`. Only
  when a whole page shares one millisecond is that millisecond paged by offset (read
  again if records left it meanwhile), and when more than 10,000 records share it, the
  objects are listed in full instead. Search does not return associations: a changed
  deal or engagement is read again by id with its associations (or, when many changed,
  all of that type are listed);
- search never returns archived records, so each run also lists `archived=true` and
  marks those rows `archived = true` instead of keeping them alive.

The cursor is held at the start of the run less `SEARCH_LAG`: a listing in id order (the
first run, the archived records) may pass a record changed meanwhile, and HubSpot says a
change may take a few moments to become searchable. The next run asks from there again.

Owners have no change filter and are few: listed in full every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.credentials import HubSpotSettings, hubspot_settings
from pipelines.cursors import EPOCH, UpdatedSince
from pipelines.http import PagingLoop, raise_for_status, rest_client
from pipelines.validation import (
    RecordSpec, as_rejects, boolean, change_stamp, columns, declare_columns, identifier, latest_believable,
    parse_timestamp, rejected_row, rejects_resource, timestamp,
)

PAGE_LIMIT = 100  # the documented maximum for CRM v3 list endpoints
SEARCH_LIMIT = 200  # the documented maximum page of the search endpoints
SEARCH_MAX_RESULTS = 10_000  # search answers at most this many results per query
REREAD_LIMIT = 100  # changed records read again one by one for their associations; above, list all
MAX_REQUESTS = 100_000  # a guard for the keyset search
SAME_MILLISECOND_PASSES = 3  # offset passes over one millisecond before listing everything instead
SEARCH_LAG = timedelta(minutes=5)  # a change younger than this may not be searchable yet
FULL_LISTING = object()  # yielded by `_search` when only a full listing can read every change

# resource name -> (object type, properties, last-modified property, associations as
# (associated type, column): the first associated record's id lands in the column)
Association = tuple[tuple[str, str], ...]
ACTIVITY_COMMON = ["hs_timestamp", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate"]
ACTIVITY_LINKS: Association = (("companies", "company_id"), ("contacts", "contact_id"))
CRM_OBJECTS: dict[str, tuple[str, list[str], str, Association]] = {
    "companies": ("companies", [
        "name", "domain", "industry", "numberofemployees", "country", "customer_id", "hubspot_owner_id",
        "lifecyclestage", "customer_status", "createdate", "hs_lastmodifieddate",
    ], "hs_lastmodifieddate", ()),
    "contacts": ("contacts", [
        "email", "firstname", "lastname", "jobtitle", "associatedcompanyid", "createdate", "lastmodifieddate",
    ], "lastmodifieddate", (("companies", "associatedcompanyid"),)),
    "deals": ("deals", [
        "dealname", "dealtype", "dealstage", "pipeline", "amount", "closedate", "contract_start_date",
        "contract_end_date", "mrr", "seats", "plan", "createdate", "hs_lastmodifieddate",
    ], "hs_lastmodifieddate", (("companies", "company_id"),)),
    # engagements (CRM activities): each with its company and its contact
    "calls": ("calls", [*ACTIVITY_COMMON, "hs_call_title", "hs_call_direction", "hs_call_status", "hs_call_duration"],
              "hs_lastmodifieddate", ACTIVITY_LINKS),
    "meetings": ("meetings", [*ACTIVITY_COMMON, "hs_meeting_title", "hs_meeting_start_time", "hs_meeting_end_time",
                              "hs_meeting_outcome"], "hs_lastmodifieddate", ACTIVITY_LINKS),
    "emails": ("emails", [*ACTIVITY_COMMON, "hs_email_subject", "hs_email_direction", "hs_email_status"],
               "hs_lastmodifieddate", ACTIVITY_LINKS),
    "notes": ("notes", [*ACTIVITY_COMMON, "hs_note_body"], "hs_lastmodifieddate", ACTIVITY_LINKS),
}
TIMESTAMPS = {"createdate", "hs_lastmodifieddate", "lastmodifieddate", "closedate", "hs_createdate", "hs_timestamp",
              "hs_meeting_start_time", "hs_meeting_end_time"}
COLUMNS = {
    name: columns(id="text_key", archived="bool", **{p: "timestamp" if p in TIMESTAMPS else "text"
                                                      for p in props + [column for _, column in assoc]})
    for name, (_, props, _, assoc) in CRM_OBJECTS.items()
}
for _name, (_, _, _modified, _) in CRM_OBJECTS.items():
    # a record read twice in one run (modified while the search ran) keeps its latest version
    COLUMNS[_name][_modified]["dedup_sort"] = "desc"
OWNER_COLUMNS = columns(id="text_key", email="text", first_name="text", last_name="text", archived="bool")



def fields_read(object_type: str) -> set[str]:
    """The properties of `object_type` this source reads: reverse ETL must never write one of them."""
    return {prop for read_type, properties, _, _ in CRM_OBJECTS.values()
            if read_type.lower() == object_type.lower() for prop in properties}


def _spec(name: str) -> RecordSpec:
    modified = CRM_OBJECTS[name][2]
    created = "hs_createdate" if "hs_createdate" in CRM_OBJECTS[name][1] else "createdate"
    return RecordSpec(name, required={"id": identifier, f"properties.{modified}": change_stamp},
                      optional={"archived": boolean, f"properties.{created}": timestamp})


def _client(settings: HubSpotSettings) -> RESTClient:
    return rest_client(settings.base_url, auth=BearerTokenAuth(settings.access_token), vendor="hubspot")


def _list_paginator() -> JSONResponseCursorPaginator:
    return JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")


def flatten(record: dict, properties: list[str], association: Association) -> dict:
    row = {"id": str(record["id"]), "archived": bool(record.get("archived", False))}
    props = record.get("properties") or {}
    row.update({name: props.get(name) for name in properties})
    for object_type, column in association:
        linked = ((record.get("associations") or {}).get(object_type) or {}).get("results") or []
        first = str(linked[0]["id"]) if linked else None
        # contacts carry their primary company as a property; the association fills a gap
        row[column] = row.get(column) or first
    return row


@dlt.source(name="hubspot")
def hubspot(settings: HubSpotSettings | None = None, search_limit: int = SEARCH_LIMIT,
            search_max_results: int = SEARCH_MAX_RESULTS) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({**COLUMNS, "owners": OWNER_COLUMNS})
    search = (search_limit, search_max_results)
    for name in CRM_OBJECTS:
        yield dlt.resource(_crm_objects, name=name, primary_key="id", write_disposition="merge")(
            name, settings, search)
    yield dlt.resource(_owners, name="owners", primary_key="id", write_disposition="merge")(settings)
    yield rejects_resource()


def _crm_objects(name: str, settings: HubSpotSettings | None, search: tuple[int, int]) -> Iterator[Any]:
    object_type, properties, modified, association = CRM_OBJECTS[name]
    client = _client(settings or hubspot_settings())
    spec = _spec(name)
    cursor = UpdatedSince(modified)
    cursor.hold_at(datetime.now(timezone.utc) - SEARCH_LAG)

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
        # (deal -> company, call -> company and contact) is read again for the changed records
        reread = any(column not in properties for _, column in association)
        changed: list[str] = []
        for page in _search(client, object_type, properties, modified, cursor, *search):
            if page is FULL_LISTING:  # more changes in one millisecond than search reaches
                for listed in _list(client, object_type, properties, association, archived=False):
                    yield from rows(listed)
                changed = []  # the listing carried the associations
                break
            if not reread:
                yield from rows(page)
                continue
            for item in spec.split(page, lambda r: flatten(r, properties, ())):
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
        params["associations"] = ",".join(object_type for object_type, _ in association)
    yield from client.paginate(f"/crm/v3/objects/{object_type}", params=params, paginator=_list_paginator(),
                               data_selector="results")


def _search(client: RESTClient, object_type: str, properties: list[str], modified: str, cursor: UpdatedSince,
            limit: int, max_results: int) -> Iterator[Any]:
    """Pages of the records modified at or after the cursor, oldest first; each page is the
    first of a new query from the newest modification read so far. Yields FULL_LISTING
    (and stops) when more records share one millisecond than a query reaches."""
    since = _epoch_ms(cursor.since)
    for _ in range(MAX_REQUESTS):
        body = _search_body(modified, properties, limit, since)
        answer = _post_search(client, object_type, body)
        yield answer["results"]  # the caller observes the page's modifications into the cursor
        if not answer.get("paging"):
            return
        newest = _newest_ms(answer["results"], modified)
        if newest is None:  # only stamps beyond belief are left (they sort last): read them for the quarantine
            yield from _rest_of_query(client, object_type, body, len(answer["results"]), max_results)
            return
        if newest > since:
            since = newest
            continue
        # the whole page shares the millisecond `since`: read that millisecond by offset
        group = yield from _same_millisecond(client, object_type, properties, modified, since, limit, max_results)
        if not group:
            yield FULL_LISTING
            return
        since += 1
    raise PagingLoop(f"the {object_type} search did not end after {MAX_REQUESTS} requests")


def _same_millisecond(client: RESTClient, object_type: str, properties: list[str], modified: str, moment: int,
                      limit: int, max_results: int) -> Iterator[Any]:
    """Every record last modified at `moment`, paged by offset. A record can only leave
    that millisecond (modified again, it moves later), which shrinks `total` and would
    shift a record past the offset: then the millisecond is read again. Returns False when
    it holds more records than a query reaches, or never stays still."""
    for _ in range(SAME_MILLISECOND_PASSES):
        after, totals = 0, set()
        while after < max_results:
            body = _search_body(modified, properties, min(limit, max_results - after), moment, moment, after)
            answer = _post_search(client, object_type, body)
            totals.add(answer.get("total", 0))
            if max(totals) > max_results:
                return False
            yield answer["results"]
            after += len(answer["results"])
            if not answer.get("paging") or not answer["results"]:
                break
        if len(totals) == 1:
            return True
    return False


def _rest_of_query(client: RESTClient, object_type: str, body: dict, after: int, max_results: int) -> Iterator[Any]:
    while after < max_results:
        answer = _post_search(client, object_type, {**body, "after": str(after),
                                                    "limit": min(body["limit"], max_results - after)})
        yield answer["results"]
        if not answer.get("paging") or not answer["results"]:
            return
        after += len(answer["results"])


def _search_body(modified: str, properties: list[str], limit: int, low: int, high: int | None = None,
                 after: int = 0) -> dict:
    filters = [{"propertyName": modified, "operator": "GTE", "value": str(low)}]
    if high is not None:
        filters.append({"propertyName": modified, "operator": "LTE", "value": str(high)})
    body = {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": limit,
    }
    if after:
        body["after"] = str(after)
    return body


def _post_search(client: RESTClient, object_type: str, body: dict) -> dict:
    return raise_for_status(client.post(f"/crm/v3/objects/{object_type}/search", json=body)).json()


def _newest_ms(records: list[dict], modified: str) -> int | None:
    """The newest believable modification on a page (records failing it are quarantined)."""
    believable = latest_believable()
    moments = [m for r in records if isinstance(r, dict)
               if (m := parse_timestamp((r.get("properties") or {}).get(modified))) is not None and m <= believable]
    return _epoch_ms(max(moments)) if moments else None


def _epoch_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _reread(client: RESTClient, name: str, ids: list[str], rows) -> Iterator[Any]:
    """Changed records with their associations: one by one when few, else all listed."""
    object_type, properties, _, association = CRM_OBJECTS[name]
    unique = list(dict.fromkeys(ids))
    if len(unique) > REREAD_LIMIT:
        for page in _list(client, object_type, properties, association, archived=False):
            yield from rows(page)
        return
    params = {"properties": ",".join(properties),
              "associations": ",".join(object_type for object_type, _ in association)}
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
