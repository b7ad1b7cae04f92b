"""HubSpot CRM v3 double, seeded from a world's HubSpot accounts.

Objects (companies, contacts, deals; the engagements calls, meetings, emails, notes): list with limit/after paging, read, archive,
search (at most 200 per page; as HubSpot documents, a query reaches at most its first
10,000 results: `paging.next.after` is still handed out past them, and asking for it answers
400 VALIDATION_ERROR), batch read,
batch update, batch upsert by a unique property (e.g. customer_id); owners; the properties
and property-groups API. Errors use HubSpot's shape {status: "error", message,
correlationId, category}; batch calls answer 200 COMPLETE, or 207 with `errors` when some
inputs failed (unknown ids, injected record failures). Throttling answers 429 with
errorType RATE_LIMIT and policyName TEN_SECONDLY_ROLLING (faults) or DAILY (past the
daily limit); a lock fault answers 423 Locked.
"""

from __future__ import annotations

import bisect
import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.doubles.common import (
    Clock, JsonApp, RequestLog, json_body, json_response, request_faults, retry_after_header, stable_int,
)
from sandbox.doubles.faults import failing_records
from sandbox.doubles.crm_world import load_crm_world
from sandbox.doubles.hubspot_schema import (
    ALIASES, CREATED, DEFAULT_PROPERTIES, MODIFIED, OBJECT_TYPES, hs_datetime, make_property,
    seed_groups, seed_hubspot, seed_properties,
)
from sandbox.doubles.hubspot_search import run_search
from sandbox.doubles.hubspot_values import normalise

MAX_BATCH = 100
MAX_PAGE = 100
MAX_SEARCH_PAGE = 200
MAX_SEARCH_RESULTS = 10_000
DAILY_LIMIT = 250000
TEN_SECONDLY_LIMIT = 100
PROPERTY_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool"}
FIELD_TYPES = {"textarea", "text", "date", "file", "number", "select", "radio", "checkbox",
               "booleancheckbox", "calculation_equation"}
AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def hs_error(status: int, category: str, message: str, **extra) -> Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), **extra,
            "category": category}
    return json_response(body, status)


class BadRequest(Exception):
    """A 400 VALIDATION_ERROR for the whole request."""

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message, self.extra = message, extra


def _invalid(name: str, code: str, message: str) -> dict:
    return {"isValid": False, "message": message, "error": code, "name": name,
            "localizedErrorMessage": message}


class HubSpotDouble(JsonApp):
    vendor = "hubspot"

    def __init__(self, world_dir: Path, token: str, log: RequestLog | None = None,
                 max_page_size: int = MAX_PAGE, daily_limit: int = DAILY_LIMIT,
                 max_search_results: int = MAX_SEARCH_RESULTS):
        super().__init__(token, log)
        self.daily_limit = daily_limit
        self.max_search_results = max_search_results  # smaller only to test the cap quickly
        world = load_crm_world(world_dir)
        accounts = world.in_crm("hubspot")
        self.properties = seed_properties(sorted({a.industry for a in accounts if a.industry}))
        self.groups = seed_groups()
        self.store, self.assoc, owners = seed_hubspot(world)
        self._id_order: dict[str, list[int]] = {}  # per type, every id in order: a list page bisects it
        self.owners = sorted(owners.values(), key=lambda o: int(o["id"]))
        self.clock = Clock(floor=world.as_of_end)
        self.max_page_size = min(max_page_size, MAX_PAGE)
        self.api_calls = 0
        objects, props = "/crm/v3/objects/<object_type>", "/crm/v3/properties/<object_type>"
        self.url_map = Map([
            Rule(objects, endpoint="list_objects", methods=["GET"]),
            Rule(f"{objects}/search", endpoint="search", methods=["POST"]),
            Rule(f"{objects}/batch/read", endpoint="batch_read", methods=["POST"]),
            Rule(f"{objects}/batch/update", endpoint="batch_update", methods=["POST"]),
            Rule(f"{objects}/batch/upsert", endpoint="batch_upsert", methods=["POST"]),
            Rule(f"{objects}/<object_id>", endpoint="one_object", methods=["GET", "PATCH", "DELETE"]),
            Rule("/crm/v3/owners/", endpoint="list_owners", methods=["GET"]),
            Rule(props, endpoint="properties_api", methods=["GET", "POST"]),
            Rule(f"{props}/groups", endpoint="groups_api", methods=["GET", "POST"]),
            Rule(f"{props}/groups/<name>", endpoint="one_group", methods=["GET"]),
            Rule(f"{props}/<name>", endpoint="one_property", methods=["GET"]),
        ], strict_slashes=False)

    # --- plumbing -----------------------------------------------------------------------

    def unauthorized(self, request):
        return hs_error(401, "INVALID_AUTHENTICATION", AUTH_MESSAGE)

    def not_found(self, request):
        return hs_error(404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}")

    def method_not_allowed(self, request):
        return hs_error(405, "VALIDATION_ERROR", f"Method {request.method} not allowed for {request.path}")

    def rate_limited(self, request, fault, policy: str | None = None):
        policy = policy or (fault.policy if fault else None) or "TEN_SECONDLY_ROLLING"
        body = {"status": "error", "message": f"You have reached your {policy.lower()} limit.",
                "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()), "policyName": policy,
                "requestId": str(uuid.uuid4())}
        headers = retry_after_header(fault) if fault else {}
        if policy == "TEN_SECONDLY_ROLLING":
            headers.update({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                            "X-HubSpot-RateLimit-Max": str(TEN_SECONDLY_LIMIT), "X-HubSpot-RateLimit-Remaining": "0"})
        return json_response(body, 429, headers)

    def server_failure(self, request, fault):
        return hs_error(fault.status or 500, "INTERNAL_ERROR", "An internal error occurred.")

    def fault_response(self, request, fault):
        if fault.kind == "lock":
            return hs_error(423, "LOCKED", fault.message or (
                "The object is locked by a concurrent write; wait at least 2 seconds before retrying."))
        return super().fault_response(request, fault)

    def dispatch(self, request: Request) -> Response:
        if self.api_calls >= self.daily_limit:
            return self.rate_limited(request, None, policy="DAILY")
        try:
            return super().dispatch(request)
        except BadRequest as exc:
            return hs_error(400, "VALIDATION_ERROR", exc.message, **exc.extra)

    def finish(self, request, response):
        self.api_calls += 1
        response.headers["X-HubSpot-RateLimit-Daily"] = str(self.daily_limit)
        response.headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, self.daily_limit - self.api_calls))
        return response

    def _type(self, object_type: str) -> str:
        canonical = ALIASES.get(object_type.lower())
        if canonical is None:
            raise BadRequest(f"Unable to infer object type from: {object_type}")
        return canonical

    def _now(self) -> str:
        return hs_datetime(self.clock.now())

    def _wanted(self, type_: str, names: list[str] | None) -> list[str]:
        """Requested properties that exist (unknown ones are ignored, as HubSpot does) plus
        the ones every object carries."""
        known = self.properties[type_]
        chosen = [n for n in (names or []) if n in known] if names else list(DEFAULT_PROPERTIES[type_])
        for always in (CREATED[type_], MODIFIED[type_], "hs_object_id"):
            if always not in chosen:
                chosen.append(always)
        return chosen

    def _public(self, type_: str, record: dict, names: list[str] | None,
                associations: list[str] = ()) -> dict:
        out = {"id": record["id"],
               "properties": {n: record["properties"].get(n) for n in self._wanted(type_, names)},
               "createdAt": record["createdAt"], "updatedAt": record["updatedAt"],
               "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record.get("archivedAt")
        linked = {}
        for other in associations:
            other_type = ALIASES.get(other.lower())
            ids = self.assoc.get((type_, record["id"]), {}).get(other_type, []) if other_type else []
            live = [i for i in ids if not self.store[other_type][i]["archived"]]
            if live:
                kind = f"{OBJECT_TYPES[type_].lower()}_to_{OBJECT_TYPES[other_type].lower()}"
                linked[other] = {"results": [{"id": i, "type": kind} for i in sorted(live, key=int)]}
        if linked:
            out["associations"] = linked
        return out

    @staticmethod
    def _names(values: list[str]) -> list[str]:
        return [n.strip() for v in values for n in v.split(",") if n.strip()]

    def _limit(self, request, default: int, maximum: int) -> int:
        raw = request.args.get("limit", str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            raise BadRequest(f"limit must be an integer between 1 and {maximum}, got {raw}")
        return int(raw)

    @staticmethod
    def _after(request) -> int | None:
        """The `after` cursor: the id of the first item of the page asked for."""
        after = request.args.get("after")
        if after and not after.isdigit():
            raise BadRequest(f"after must be a numeric cursor, got {after}")
        return int(after) if after else None

    def _page(self, request, items: list, limit: int, key) -> dict:
        """Cursor paging: `after` is the id of the first item of the next page."""
        after = self._after(request)
        if after is not None:
            items = [i for i in items if int(key(i)) >= after]
        return self._page_body(request, items[:limit], str(key(items[limit])) if len(items) > limit else None)

    @staticmethod
    def _page_body(request, results: list, next_after: str | None) -> dict:
        body = {"results": results}
        if next_after:
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "after"] + [("after", next_after)]
            link = f"{request.host_url.rstrip('/')}{request.path}?{urlencode(args)}"
            body["paging"] = {"next": {"after": next_after, "link": link}}
        return body

    def _ids_in_order(self, type_: str) -> list[int]:
        """Every id of the type, ascending; built once and again after a create. Sorting the
        whole store for every page made an L world's listing quadratic."""
        if type_ not in self._id_order:
            self._id_order[type_] = sorted(int(object_id) for object_id in self.store[type_])
        return self._id_order[type_]

    # --- objects ------------------------------------------------------------------------

    def list_objects(self, request, object_type):
        type_ = self._type(object_type)
        # a sandbox may serve smaller pages than asked for, to exercise the caller's paging
        limit = min(self._limit(request, 10, MAX_PAGE), self.max_page_size)
        archived = request.args.get("archived", "false").lower() == "true"
        names = self._names(request.args.getlist("properties")) or None
        associations = self._names(request.args.getlist("associations"))
        ids, records = self._ids_in_order(type_), self.store[type_]
        after = self._after(request)
        rows = []  # this page's records, and the first of the next page
        for object_id in ids[bisect.bisect_left(ids, after) if after is not None else 0:]:
            record = records[str(object_id)]
            if record["archived"] == archived:
                rows.append(record)
                if len(rows) > limit:
                    break
        body = self._page_body(request, rows[:limit], rows[limit]["id"] if len(rows) > limit else None)
        body["results"] = [self._public(type_, r, names, associations) for r in body["results"]]
        return json_response(body)

    def one_object(self, request, object_type, object_id):
        type_ = self._type(object_type)
        record = self.store[type_].get(object_id)
        wants_archived = request.method == "GET" and request.args.get("archived", "false").lower() == "true"
        if record is None or record["archived"] != wants_archived:
            return hs_error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.",
                            context={"id": [object_id]})
        if request.method == "DELETE":
            self.archive(type_, object_id)
            return Response(status=204)
        if request.method == "PATCH":
            body = json_body(request) or {}
            changes = self._validate(type_, [{"id": object_id, "properties": body.get("properties")}])[0]
            self._apply(type_, object_id, changes)
            return json_response(self._public(type_, record, list(changes)))
        names = self._names(request.args.getlist("properties")) or None
        return json_response(self._public(type_, record, names, self._names(request.args.getlist("associations"))))

    def search(self, request, object_type):
        type_ = self._type(object_type)
        body = json_body(request)
        if not isinstance(body, dict):
            raise BadRequest("Invalid input JSON: a search request object is required")
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 0 <= limit <= MAX_SEARCH_PAGE:
            raise BadRequest(f"limit must be between 0 and {MAX_SEARCH_PAGE}")
        after = str(body.get("after") or "0")
        if not after.isdigit():
            raise BadRequest(f"after must be a numeric offset, got {after}")
        after, cap = int(after), self.max_search_results
        if after + limit > cap:  # a page that reaches past the cap is refused, not cut short
            raise BadRequest(f"The search endpoints are limited to {cap} total results for any given query; "
                             f"after={after} with limit={limit} pages beyond them.")
        live = [r for r in self.store[type_].values() if not r["archived"]]
        hits = run_search(self.properties[type_], live, body, BadRequest)
        page = hits[after:after + limit]
        out = {"total": len(hits), "results": [self._public(type_, r, body.get("properties")) for r in page]}
        if after + len(page) < len(hits) and page:
            out["paging"] = {"next": {"after": str(after + len(page))}}
        return json_response(out)

    def _batch_inputs(self, request) -> tuple[dict, list]:
        body = json_body(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            raise BadRequest("Invalid input JSON: `inputs` must be a list of objects")
        if len(inputs) > MAX_BATCH:
            raise BadRequest(f"Batch size must be at most {MAX_BATCH}, got {len(inputs)}",
                             context={"inputs": [str(len(inputs))]})
        return body, inputs

    def _resolve(self, type_: str, given: object, id_property: str | None) -> str | None:
        if id_property in (None, "", "hs_object_id"):
            key = str(given)
            record = self.store[type_].get(key)
            return key if record is not None and not record["archived"] else None
        prop = self.properties[type_].get(id_property)
        if prop is None or not prop["hasUniqueValue"]:
            raise BadRequest(f"Unable to perform update/upsert by non-unique property {id_property}")
        return next((r["id"] for r in self.store[type_].values()
                     if not r["archived"] and r["properties"].get(id_property) == str(given)), None)

    def _batch_result(self, type_: str, results: list[dict], errors: list[dict], started: str) -> Response:
        body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self._now()}
        if not errors:
            return json_response(body)
        body["numErrors"] = len(errors)
        body["errors"] = errors
        return json_response(body, 207)

    def _not_found_error(self, type_: str, missing: list[str]) -> list[dict]:
        if not missing:
            return []
        return [{
            "status": "error", "category": "OBJECT_NOT_FOUND",
            "message": (f"Could not get some {OBJECT_TYPES[type_]} objects, they may be deleted or not "
                        "exist. Check that ids are valid."),
            "context": {"ids": missing}, "links": {}, "errors": [],
        }]

    @staticmethod
    def _injected_error(fault, given: str) -> dict:
        """A 207 error; HubSpot's `context` is a free map of string lists and does not
        always carry `ids` (`attribution` picks how, or whether, the id is named)."""
        message = fault.message or (f"The write to {given} was rejected" if fault.attribution != "none"
                                    else "Some inputs could not be processed")
        context = {"ids": [given]} if fault.attribution == "ids" else {}
        return {"status": "error", "category": fault.code or "VALIDATION_ERROR", "message": message,
                "context": context, "links": {}, "errors": []}

    def batch_read(self, request, object_type):
        type_ = self._type(object_type)
        started = self._now()
        body, inputs = self._batch_inputs(request)
        results, missing = [], []
        for item in inputs:
            rid = self._resolve(type_, item.get("id"), body.get("idProperty"))
            if rid is None:
                missing.append(str(item.get("id")))
            else:
                results.append(self._public(type_, self.store[type_][rid], body.get("properties") or None))
        return self._batch_result(type_, results, self._not_found_error(type_, missing), started)

    def batch_update(self, request, object_type):
        type_ = self._type(object_type)
        started = self._now()
        _, inputs = self._batch_inputs(request)
        self._unique_ids(inputs)
        all_changes = self._validate(type_, inputs)
        # resolve every id before writing anything: a bad idProperty rejects the whole batch
        targets = [self._resolve(type_, i.get("id"), i.get("idProperty")) for i in inputs]
        failing = failing_records(request_faults(request), len(inputs))
        results, missing, errors = [], [], []
        for position, (item, changes, rid) in enumerate(zip(inputs, all_changes, targets, strict=True)):
            if rid is None:
                missing.append(str(item.get("id")))
            elif position in failing:
                errors.append(self._injected_error(failing[position], str(item.get("id"))))
            else:
                self._apply(type_, rid, changes)
                results.append(self._public(type_, self.store[type_][rid], list(changes)))
        return self._batch_result(type_, results, self._not_found_error(type_, missing) + errors, started)

    def batch_upsert(self, request, object_type):
        """Create or update by a unique property: `id` is that property's value."""
        type_ = self._type(object_type)
        started = self._now()
        _, inputs = self._batch_inputs(request)
        for item in inputs:
            if not item.get("idProperty"):
                raise BadRequest("idProperty is required for every input of an upsert")
        self._unique_ids(inputs)
        all_changes = self._validate(type_, inputs)
        targets = [self._resolve(type_, i.get("id"), i["idProperty"]) for i in inputs]
        failing = failing_records(request_faults(request), len(inputs))
        results, errors = [], []
        for position, (item, changes, rid) in enumerate(zip(inputs, all_changes, targets, strict=True)):
            if position in failing:
                errors.append(self._injected_error(failing[position], str(item.get("id"))))
                continue
            created = rid is None
            if created:
                rid = self._create(type_, {**changes, item["idProperty"]: str(item["id"])})
            else:
                self._apply(type_, rid, changes)
            names = list(changes) + [item["idProperty"]]
            results.append({**self._public(type_, self.store[type_][rid], names), "new": created})
        return self._batch_result(type_, results, errors, started)

    @staticmethod
    def _unique_ids(inputs: list[dict]) -> None:
        ids = [str(i.get("id")) for i in inputs]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise BadRequest(f"Duplicate IDs found in batch input: [{', '.join(dupes)}]. IDs must be unique",
                             context={"ids": dupes})

    def _validate(self, type_: str, inputs: list[dict]) -> list[dict]:
        """Checked, normalised property changes per input; any invalid value fails the
        whole request with HubSpot's "Property values were not valid" message."""
        problems, out = [], []
        for n, item in enumerate(inputs):
            props = item.get("properties")
            if not isinstance(props, dict) or not props:
                raise BadRequest("No properties found to update, please provide at least one.",
                                 context={"properties": [json.dumps(props)]})
            for name, value in props.items():
                if value is not None and not isinstance(value, str):
                    raise BadRequest(
                        f"Invalid input JSON on input {n}: property values must be strings, "
                        f"got {type(value).__name__} for '{name}'", context={"propertyName": [name]})
            changes = {}
            for name, value in props.items():
                definition = self.properties[type_].get(name)
                if definition is None or definition["archived"]:
                    problems.append(_invalid(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
                    continue
                result = normalise(definition, value, owners={o["id"] for o in self.owners})
                if isinstance(result, tuple):
                    problems.append(_invalid(name, *result))
                else:
                    changes[name] = result
            out.append(changes)
        if problems:
            raise BadRequest(f"Property values were not valid: {json.dumps(problems, separators=(',', ':'))}")
        return out

    def _create(self, type_: str, props: dict) -> str:
        n = stable_int("hs-created", type_, json.dumps(props, sort_keys=True))
        while str(10**9 + n % (10**11 - 10**9)) in self.store[type_]:
            n = stable_int(n)
        oid, now = str(10**9 + n % (10**11 - 10**9)), self._now()
        self.store[type_][oid] = {"id": oid, "createdAt": now, "updatedAt": now, "archived": False, "properties": {
            **props, CREATED[type_]: now, MODIFIED[type_]: now, "hs_object_id": oid}}
        self._id_order.pop(type_, None)
        return oid

    def _apply(self, type_: str, object_id: str, changes: dict) -> None:
        record = self.store[type_][object_id]
        record["properties"].update(changes)
        record["updatedAt"] = record["properties"][MODIFIED[type_]] = self._now()

    # --- owners and properties ----------------------------------------------------------

    def list_owners(self, request):
        limit = self._limit(request, 100, 500)
        archived = request.args.get("archived", "false").lower() == "true"
        email = (request.args.get("email") or "").lower()
        rows = [o for o in self.owners if o["archived"] == archived and (not email or o["email"] == email)]
        return json_response(self._page(request, rows, limit, key=lambda o: o["id"]))

    def properties_api(self, request, object_type):
        type_ = self._type(object_type)
        if request.method == "GET":
            archived = request.args.get("archived", "false").lower() == "true"
            return json_response({"results": [p for p in self.properties[type_].values() if p["archived"] == archived]})
        body = json_body(request)
        if not isinstance(body, dict):
            raise BadRequest("Invalid input JSON: a property definition object is required")
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise BadRequest(f"Missing required fields: {', '.join(missing)}")
        name = body["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise BadRequest(f"Property name '{name}' must start with a lowercase letter and contain only "
                             "lowercase letters, digits and underscores")
        if body["type"] not in PROPERTY_TYPES or body["fieldType"] not in FIELD_TYPES:
            raise BadRequest(f"Invalid type/fieldType: {body['type']}/{body['fieldType']}")
        if body["groupName"] not in self.groups[type_]:
            raise BadRequest(f"Property group {body['groupName']} does not exist for object type {type_}")
        if body["type"] == "enumeration" and body["fieldType"] != "booleancheckbox" and not body.get("options"):
            raise BadRequest("Options are required for enumeration properties")
        if name in self.properties[type_]:
            return hs_error(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
        prop = make_property(name, body["label"], body["type"], body["fieldType"], body["groupName"],
                             options=body.get("options") or (), hubspot_defined=False,
                             unique=bool(body.get("hasUniqueValue")), description=body.get("description") or "",
                             created=self.clock.now())
        prop["displayOrder"] = body.get("displayOrder", -1)
        prop["hidden"] = bool(body.get("hidden", False))
        prop["formField"] = bool(body.get("formField", False))
        self.properties[type_][name] = prop
        return json_response(prop, 201)

    def one_property(self, request, object_type, name):
        type_ = self._type(object_type)
        prop = self.properties[type_].get(name)
        if prop is None:
            return hs_error(404, "OBJECT_NOT_FOUND",
                            f"Unable to find property named '{name}' for object type '{type_}'")
        return json_response(prop)

    def groups_api(self, request, object_type):
        type_ = self._type(object_type)
        if request.method == "GET":
            return json_response({"results": list(self.groups[type_].values())})
        body = json_body(request)
        if not isinstance(body, dict) or not body.get("name") or not body.get("label"):
            raise BadRequest("Missing required fields: name, label")
        if body["name"] in self.groups[type_]:
            return hs_error(409, "OBJECT_ALREADY_EXISTS", f"A property group named '{body['name']}' already exists.")
        group = {"name": body["name"], "label": body["label"],
                 "displayOrder": body.get("displayOrder", -1), "archived": False}
        self.groups[type_][body["name"]] = group
        return json_response(group, 201)

    def one_group(self, request, object_type, name):
        type_ = self._type(object_type)
        group = self.groups[type_].get(name)
        if group is None:
            return hs_error(404, "OBJECT_NOT_FOUND", f"Unable to find property group named '{name}'")
        return json_response(group)

    # --- state, also used by tests ------------------------------------------------------

    def archive(self, type_: str, object_id: str) -> None:
        with self.lock:
            record = self.store[ALIASES[type_]][object_id]
            record["archived"], record["archivedAt"] = True, self._now()

    def objects(self, type_: str, include_archived: bool = False) -> list[dict]:
        """Copies of the stored objects: {id, properties, createdAt, updatedAt, archived}."""
        with self.lock:
            rows = sorted(self.store[ALIASES[type_]].values(), key=lambda r: int(r["id"]))
            return [json.loads(json.dumps(r)) for r in rows if include_archived or not r["archived"]]

    def object_by(self, type_: str, prop: str, value) -> dict | None:
        return next((r for r in self.objects(type_) if r["properties"].get(prop) == value), None)

    def associations(self, type_: str, object_id: str) -> dict[str, list[str]]:
        with self.lock:
            return {k: list(v) for k, v in self.assoc.get((ALIASES[type_], object_id), {}).items()}
