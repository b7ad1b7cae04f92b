"""Salesforce REST API double, seeded from a world.

Serves /services/data/v{version}/ for any version: query / queryAll (with
nextRecordsUrl paging), sobjects describe and record reads, single-record PATCH/DELETE,
sObject Collections update (PATCH composite/sobjects), Bulk API 2.0 ingest jobs
(salesforce_bulk), limits; the OAuth password / client-credentials token endpoint and the
SOAP login that simple-salesforce uses for username + password + security token
(salesforce_login, which also says how to point SALESFORCE_DOMAIN at the double). Errors
use Salesforce's JSON shapes: a list of {message, errorCode} for request failures,
SaveResults for collection updates. Every response carries Sforce-Limit-Info; past the
daily limit the API answers 403 REQUEST_LIMIT_EXCEEDED, as Salesforce does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from itertools import count
from pathlib import Path

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.doubles.common import (
    Clock, JsonApp, RequestLog, json_body, json_response, request_faults, retry_after_header, same_secret,
)
from sandbox.doubles.crm_world import load_crm_world
from sandbox.doubles.faults import failing_records
from sandbox.doubles.salesforce_bulk import BulkIngestMixin, fault_save_error
from sandbox.doubles.salesforce_login import login_credentials, login_fault, login_response
from sandbox.doubles.salesforce_schema import (
    POD, build_objects, describe_global, describe_object, normalize_id, sf_datetime, to18,
)
from sandbox.doubles.salesforce_seed import seed_salesforce
from sandbox.doubles.salesforce_write import RequestError, check_update, error
from sandbox.doubles.soql import SoqlError, parse_soql

DAILY_API_LIMIT = 15000
MAX_COLLECTION = 200
MAX_CURSORS = 100  # abandoned query locators are dropped oldest-first, as Salesforce expires them
VERSION = re.compile(r"^\d{2,3}\.\d$")
LOGIN_DOMAIN = re.compile(r"^/[^/]+\.salesforce\.com(/services/.*)$")  # see salesforce_login
ROLLED_BACK = ("Record rolled back because not all records were valid and the request "
               "was using AllOrNone header")


def sf_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return json_response([{"message": message, "errorCode": code}], status, headers)


def limit_exceeded(headers: dict | None = None) -> Response:
    return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", headers)


class SalesforceDouble(BulkIngestMixin, JsonApp):
    vendor = "salesforce"
    public_endpoints = frozenset({"versions", "oauth_token", "soap_login"})

    def __init__(self, world_dir: Path, token: str, log: RequestLog | None = None,
                 page_size: int = 2000, credentials: dict | None = None,
                 daily_api_limit: int = DAILY_API_LIMIT, bulk_polls: int = 1):
        super().__init__(token, log)
        self.daily_api_limit = daily_api_limit
        self.bulk_polls = bulk_polls  # Bulk API 2.0 polls that answer InProgress before JobComplete
        self.ingest_jobs: dict = {}
        world = load_crm_world(world_dir)
        accounts = world.in_crm("salesforce")
        self.objects = build_objects(
            industries=sorted({a.industry for a in accounts if a.industry}),
            plans=sorted({c.plan for a in accounts for c in a.contracts if c.plan}),
        )
        self.store = seed_salesforce(world)
        self.clock = Clock(floor=world.as_of_end)
        self.page_size = page_size
        # OAuth: a connected app's client id/secret; an integration user's login and token.
        self.credentials = {
            "client_id": secrets.token_urlsafe(16), "client_secret": secrets.token_urlsafe(24),
            "username": "integration@cs360.sandbox", "password": secrets.token_urlsafe(16),
            "security_token": secrets.token_urlsafe(18), **(credentials or {}),
        }
        self.api_calls = 0
        self._cursors: OrderedDict[str, list[dict]] = OrderedDict()
        self._locators = count(1)
        data = "/services/data/v<version>"
        self.url_map = Map([
            Rule("/services/data/", endpoint="versions", methods=["GET"]),
            Rule(f"{data}/", endpoint="resources", methods=["GET"]),
            Rule(f"{data}/limits/", endpoint="limits", methods=["GET"]),
            Rule(f"{data}/query/", endpoint="query", methods=["GET"], defaults={"all_rows": False}),
            Rule(f"{data}/queryAll/", endpoint="query", methods=["GET"], defaults={"all_rows": True}),
            Rule(f"{data}/query/<locator>/", endpoint="query_more", methods=["GET"]),
            Rule(f"{data}/queryAll/<locator>/", endpoint="query_more", methods=["GET"]),
            Rule(f"{data}/sobjects/", endpoint="global_describe", methods=["GET"]),
            Rule(f"{data}/sobjects/<sobject>/", endpoint="sobject_info", methods=["GET"]),
            Rule(f"{data}/sobjects/<sobject>/describe/", endpoint="describe", methods=["GET"]),
            Rule(f"{data}/sobjects/<sobject>/<record_id>/", endpoint="record",
                 methods=["GET", "PATCH", "DELETE"]),
            Rule(f"{data}/composite/sobjects/", endpoint="collections_update", methods=["PATCH"]),
            *self.bulk_rules(data),
            Rule("/services/oauth2/token", endpoint="oauth_token", methods=["POST"]),
            Rule("/services/Soap/u/<version>", endpoint="soap_login", methods=["POST"]),
        ], strict_slashes=False)

    # --- plumbing -----------------------------------------------------------------------

    def unauthorized(self, request):
        return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def not_found(self, request):
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")

    def method_not_allowed(self, request):
        return sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.")

    def rate_limited(self, request, fault):
        return limit_exceeded(retry_after_header(fault))

    def server_failure(self, request, fault):
        status = fault.status or 500
        if status == 503:
            return sf_error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please retry")
        return sf_error(status, "UNKNOWN_EXCEPTION", (
            "An unexpected error occurred. Please include this ErrorId if you contact support: "
            "1234567890-12345 (-123456789)"))

    def dispatch(self, request: Request) -> Response:
        login_path = LOGIN_DOMAIN.match(request.environ.get("PATH_INFO", ""))
        if login_path:  # https://{domain}.salesforce.com/... with the domain pointing here
            request.environ["PATH_INFO"] = login_path.group(1)
        path = request.environ.get("PATH_INFO", "")
        match = re.match(r"^/services/data/v([^/]+)", path)
        if match and not VERSION.match(match.group(1)):
            return self.not_found(request)
        if match and self.api_calls >= self.daily_api_limit:
            return limit_exceeded()
        return super().dispatch(request)

    def finish(self, request, response):
        if request.environ.get("PATH_INFO", "").startswith("/services/data/v"):
            self.api_calls += 1
        response.headers["Sforce-Limit-Info"] = f"api-usage={self.api_calls}/{self.daily_api_limit}"
        return response

    def _object(self, name: str):
        return next((o for o in self.objects.values() if o.name.lower() == name.lower()), None)

    def _attributes(self, obj_name: str, record_id: str, version: str) -> dict:
        return {"type": obj_name, "url": f"/services/data/v{version}/sobjects/{obj_name}/{record_id}"}

    # --- API ----------------------------------------------------------------------------

    def versions(self, request):
        labels = {"59.0": "Winter '24", "60.0": "Spring '24", "61.0": "Summer '24",
                  "62.0": "Winter '25", "63.0": "Spring '25", "64.0": "Summer '25"}
        return json_response([{"label": label, "url": f"/services/data/v{v}", "version": v}
                              for v, label in labels.items()])

    def resources(self, request, version):
        base = f"/services/data/v{version}"
        return json_response({k: f"{base}/{k}" for k in ("limits", "query", "queryAll", "sobjects", "composite")})

    def limits(self, request, version):
        return json_response({"DailyApiRequests": {"Max": DAILY_API_LIMIT,
                                                   "Remaining": DAILY_API_LIMIT - self.api_calls}})

    def query(self, request, version, all_rows):
        try:
            parsed = parse_soql(request.args.get("q", ""), self.objects)
        except SoqlError as exc:
            return sf_error(400, exc.code, exc.message)
        # query hides the recycle bin and archived activities; queryAll returns both
        candidates = [r for r in self.store[parsed.sobject.name].values()
                      if all_rows or not (r.get("IsDeleted") or r.get("IsArchived"))]
        rows = parsed.run(candidates)
        if parsed.count_only:
            return json_response({"totalSize": len(rows), "done": True, "records": []})
        name = parsed.sobject.name
        projected = [{"attributes": self._attributes(name, r["Id"], version),
                      **{f.name: r.get(f.name) for f in parsed.fields}} for r in rows]
        endpoint = "queryAll" if all_rows else "query"
        return json_response(self._page(projected, 0, version, endpoint, None))

    def _page(self, rows, offset, version, endpoint, locator):
        batch = rows[offset:offset + self.page_size]
        done = offset + self.page_size >= len(rows)
        body = {"totalSize": len(rows), "done": done, "records": batch}
        if not done:
            if locator is None:  # a server-side cursor, like Salesforce's query locator
                locator = to18("01g" + POD + f"{next(self._locators):09d}")
                self._cursors[locator] = rows
                while len(self._cursors) > MAX_CURSORS:
                    self._cursors.popitem(last=False)
            body["nextRecordsUrl"] = f"/services/data/v{version}/{endpoint}/{locator}-{offset + self.page_size}"
        elif locator is not None:
            self._cursors.pop(locator, None)
        return body

    def query_more(self, request, version, locator):
        cursor, _, offset = locator.rpartition("-")
        rows = self._cursors.get(cursor)
        if rows is None or not offset.isdigit():
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        endpoint = "queryAll" if "/queryAll/" in request.path else "query"
        return json_response(self._page(rows, int(offset), version, endpoint, cursor))

    def global_describe(self, request, version):
        return json_response(describe_global(self.objects, f"/services/data/v{version}/"))

    def sobject_info(self, request, version, sobject):
        obj = self._object(sobject)
        if obj is None:
            return self.not_found(request)
        info = describe_object(obj, f"/services/data/v{version}/")
        info = {k: v for k, v in info.items() if k not in ("fields", "childRelationships", "recordTypeInfos")}
        return json_response({"objectDescribe": info, "recentItems": []})

    def describe(self, request, version, sobject):
        obj = self._object(sobject)
        if obj is None:
            return self.not_found(request)
        return json_response(describe_object(obj, f"/services/data/v{version}/"))

    def record(self, request, version, sobject, record_id):
        obj = self._object(sobject)
        if obj is None:
            return self.not_found(request)
        rid = normalize_id(record_id)
        current = self.store[obj.name].get(rid) if rid else None
        if request.method == "PATCH":
            return self._patch_one(request, obj, record_id)
        if current is None:
            return self.not_found(request)
        if current.get("IsDeleted"):
            return sf_error(404, "ENTITY_IS_DELETED", "entity is deleted")
        if request.method == "DELETE":
            if obj.field("IsDeleted") is None:
                return sf_error(400, "INVALID_TYPE_FOR_OPERATION", "entity type cannot be deleted")
            self.delete(obj.name, rid)
            return Response(status=204)
        wanted = [f.strip() for f in request.args.get("fields", "").split(",") if f.strip()]
        fields = [obj.field(f) for f in wanted] if wanted else obj.fields
        if None in fields:
            bad = wanted[fields.index(None)]
            return sf_error(400, "INVALID_FIELD", f"No such column '{bad}' on entity '{obj.name}'.")
        return json_response({"attributes": self._attributes(obj.name, rid, version),
                              **{f.name: current.get(f.name) for f in fields}})

    def _patch_one(self, request, obj, record_id):
        body = json_body(request)
        if not isinstance(body, dict):
            return sf_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        fault = failing_records(request_faults(request), 1).get(0)
        if fault is not None:
            failure = fault_save_error(fault, normalize_id(record_id) or record_id)
            return sf_error(400, failure["statusCode"], failure["message"])
        try:
            rid, changes, errors = check_update(self.objects, self.store, obj, {**body, "Id": record_id})
        except RequestError as exc:
            return sf_error(400, exc.code, exc.message)
        if errors:
            code = errors[0]["statusCode"]
            if code == "ENTITY_IS_DELETED":
                return sf_error(404, code, "entity is deleted")
            if code in ("INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID") and errors[0]["fields"] in ([], ["Id"]):
                return self.not_found(request)  # the record in the URL does not exist
            return json_response([{"message": e["message"], "errorCode": e["statusCode"], "fields": e["fields"]}
                                  for e in errors], 400)
        self._apply(obj.name, rid, changes)
        return Response(status=204)

    def collections_update(self, request, version):
        body = json_body(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return sf_error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object with a records list")
        if len(records) > MAX_COLLECTION:
            return sf_error(400, "EXCEEDED_ID_LIMIT",
                            "record limit reached. cannot submit more than 200 records into this call")
        all_or_none = bool(body.get("allOrNone", False))
        try:
            checked = []
            for raw in records:
                type_name = (raw.get("attributes") or {}).get("type") if isinstance(raw, dict) else None
                if not type_name:
                    return sf_error(400, "JSON_PARSER_ERROR", "No SObject Type defined in JSON")
                obj = self._object(type_name)
                if obj is None:
                    return sf_error(400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
                checked.append((obj, *check_update(self.objects, self.store, obj, raw)))
        except RequestError as exc:
            return sf_error(400, exc.code, exc.message)
        for position, fault in failing_records(request_faults(request), len(checked)).items():
            obj, rid, changes, errors = checked[position]
            if not errors:  # an injected failure (a lock, a validation rule) on a valid record
                checked[position] = (obj, rid, changes, [fault_save_error(fault, rid)])
        failed = any(errors for *_, errors in checked)
        results = []
        for obj, rid, changes, errors in checked:
            if errors:
                results.append({"success": False, "errors": errors})
            elif all_or_none and failed:
                rolled_back = error("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK)
                results.append({"id": rid, "success": False, "errors": [rolled_back]})
            else:
                self._apply(obj.name, rid, changes)
                results.append({"id": rid, "success": True, "errors": []})
        return json_response(results)

    def oauth_token(self, request):
        form = request.form
        creds = self.credentials
        grant = form.get("grant_type")
        if grant not in ("password", "client_credentials"):
            return json_response({"error": "unsupported_grant_type",
                                  "error_description": "grant type not supported"}, 400)
        if not (hmac.compare_digest(form.get("client_id", ""), creds["client_id"])
                and hmac.compare_digest(form.get("client_secret", ""), creds["client_secret"])):
            return json_response({"error": "invalid_client_id", "error_description": "client identifier invalid"}, 400)
        if grant == "password" and not (
                hmac.compare_digest(form.get("username", ""), creds["username"])
                and hmac.compare_digest(form.get("password", ""), creds["password"])):
            return json_response({"error": "invalid_grant", "error_description": "authentication failure"}, 400)
        instance = request.host_url.rstrip("/")
        user = next(iter(self.store["User"]), "")
        identity = f"{instance}/id/{to18('00D' + POD + '000000001')}/{user}"
        issued_at = str(int(time.time() * 1000))
        digest = hmac.new(creds["client_secret"].encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
        return json_response({"access_token": self.token, "instance_url": instance, "id": identity,
                              "token_type": "Bearer", "issued_at": issued_at,
                              "signature": base64.b64encode(digest).decode()})

    def soap_login(self, request, version):
        given = login_credentials(request.get_data())
        creds = self.credentials
        if given is None:
            return login_fault("INVALID_LOGIN", "Invalid login request")
        if not (same_secret(given[0], creds["username"])
                and same_secret(given[1], creds["password"] + creds["security_token"])):
            return login_fault()
        org_id = to18("00D" + POD + "000000001")
        user = next(iter(self.store["User"]), to18("005" + POD + "000000001"))
        return login_response(request.host_url.rstrip("/"), version, org_id, user, self.token,
                              creds["username"], creds["username"])

    # --- state, also used by tests ------------------------------------------------------

    def _apply(self, obj_name: str, record_id: str, changes: dict) -> None:
        record = self.store[obj_name][record_id]
        record.update(changes)
        record["SystemModstamp"] = sf_datetime(self.clock.now())

    def delete(self, obj_name: str, record_id: str) -> None:
        """Soft delete, like the recycle bin: query hides it, queryAll shows IsDeleted."""
        with self.lock:
            self._apply(obj_name, normalize_id(record_id), {"IsDeleted": True})

    def records(self, obj_name: str, include_deleted: bool = True) -> list[dict]:
        with self.lock:
            return [dict(r) for r in self.store[obj_name].values()
                    if include_deleted or not r.get("IsDeleted")]

    def record_by(self, obj_name: str, field: str, value) -> dict | None:
        with self.lock:
            return next((dict(r) for r in self.store[obj_name].values() if r.get(field) == value), None)
