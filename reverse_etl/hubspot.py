"""Writes mapped properties to HubSpot objects with the CRM v3 batch update (at most 100
inputs a request, every value a string), through hubspot-api-client.

Validation reads the object's properties: a mapped property must exist and be writable,
or be defined in `mappings.yaml` so that it can be created (in the mapping's property
group, itself created when missing) — creation happens only after every check passed.

Batch update answers 200 (all written) or 207 with `errors[]`; an error is blamed only on
the ids it names (`context.ids`, its `id`, or an input id quoted in its message). A
record counts as written only when it is among the response's `results`; one that is
neither written nor named stays unconfirmed (a transient outcome: sent again, never
parked), since an error that names no id says nothing about which record failed. A 400 (e.g. an invalid property value) rejects the whole batch without saying
which input was at fault, so the engine splits the batch to find it.
"""

from __future__ import annotations

import json
import re

import urllib3
from hubspot import HubSpot
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInput, SimplePublicObjectBatchInput
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate

from pipelines.credentials import HubSpotSettings
from reverse_etl.mapping import Destination
from cs360_core.http import HUBSPOT, RateLimitExhausted, RetryPolicy, TransientError, Verdict
from reverse_etl.state import Change
from reverse_etl.writer import BatchRejected, RecordResult, RequestFailed, SchemaCheck

# Error categories of a 207's errors[] worth sending again soon; others are permanent.
TRANSIENT_CATEGORIES = frozenset({"RATE_LIMITS", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT", "LOCKED",
                                  "CONCURRENT_MODIFICATION", "BATCH_ERROR_TRANSIENT"})


def hubspot_client(settings: HubSpotSettings) -> HubSpot:
    return HubSpot(access_token=settings.access_token, host=settings.base_url)


def _body(exc) -> dict:
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {"message": str(raw)[:500]}
    return parsed if isinstance(parsed, dict) else {}


def _is_api_exception(exc: Exception) -> bool:
    return hasattr(exc, "status") and hasattr(exc, "body") and type(exc).__name__.endswith("Exception")


class HubSpotWriter:
    name = "hubspot"
    method = "batch"

    def __init__(self, client: HubSpot, policy: RetryPolicy | None = None, timeout_seconds: float = 120.0):
        self.client = client
        self.policy = policy or RetryPolicy.from_config()
        self.timeout_seconds = timeout_seconds
        self.api_calls = 0
        self.write_calls = 0
        self.methods_used = ["batch"]

    # --- transport --------------------------------------------------------------------

    def call(self, fn, describe: str, write: bool = False):
        """Run one client call, retried on 429 (except the daily limit), 5xx and dropped
        connections. Other API errors are raised to the caller as they are."""

        def attempt():
            self.api_calls += 1
            if write:
                self.write_calls += 1
            try:
                return fn()
            except urllib3.exceptions.HTTPError as exc:
                raise TransientError(type(exc).__name__) from None
            except Exception as exc:
                if not _is_api_exception(exc):
                    raise
                status = exc.status or 0
                body = _body(exc)
                verdict = HUBSPOT.verdict(status, exc.headers, json.dumps(body))
                if verdict is Verdict.STOP:
                    raise RateLimitExhausted(f"hubspot: daily limit reached: {body.get('message', '')}") from None
                if verdict is Verdict.RETRY or status == 0:  # 0: no status, the answer never came
                    policy_name = f" {body['policyName']}" if body.get("policyName") else ""
                    raise TransientError(f"HTTP {status}{policy_name}: {body.get('message', '')}",
                                         HUBSPOT.wait(status, exc.headers), status) from None
                raise

        return self.policy.run(attempt, f"hubspot {describe}")

    @staticmethod
    def _fail(exc, what: str) -> RequestFailed:
        body = _body(exc)
        return RequestFailed(f"hubspot: {what} failed with HTTP {exc.status} {body.get('category', '')}: "
                             f"{body.get('message', '')}")

    # --- mapping validation -------------------------------------------------------------

    def check(self, destination: Destination) -> SchemaCheck:
        result = SchemaCheck()
        properties_api = self.client.crm.properties
        try:
            groups = {g.name for g in self.call(
                lambda: properties_api.groups_api.get_all(destination.object), "property groups").results}
            existing = {p.name: p for p in self.call(
                lambda: properties_api.core_api.get_all(destination.object), "properties").results}
        except Exception as exc:
            if _is_api_exception(exc) and exc.status in (400, 404):
                result.problems.append(f"hubspot: object type {destination.object} is unknown "
                                       f"({_body(exc).get('message', '')})")
                return result
            if _is_api_exception(exc):
                raise self._fail(exc, "reading properties") from None
            raise
        group = destination.property_group
        for target in destination.targets:
            prop = existing.get(target)
            if prop is None:
                spec = destination.properties.get(target)
                if not spec:
                    result.problems.append(f"hubspot: property {destination.object}.{target} does not exist and "
                                           "mappings.yaml has no definition to create it")
                    continue
                missing = [k for k in ("label", "type", "fieldType") if not spec.get(k)]
                if missing:
                    result.problems.append(f"hubspot: the definition of {target} lacks {', '.join(missing)}")
                    continue
                if not group:
                    result.problems.append(f"hubspot: {target} must be created but the mapping names no "
                                           "property_group")
                    continue
                result.to_create.append(target)
                result.field_types[target] = spec["type"]
                continue
            metadata = getattr(prop, "modification_metadata", None)
            if getattr(prop, "archived", False):
                result.problems.append(f"hubspot: property {destination.object}.{target} is archived")
            elif metadata is not None and getattr(metadata, "read_only_value", False):
                result.problems.append(f"hubspot: property {destination.object}.{target} is read-only")
            elif getattr(prop, "calculated", False):
                result.problems.append(f"hubspot: property {destination.object}.{target} is calculated")
            else:
                result.field_types[target] = prop.type
        if result.to_create and group and group["name"] not in groups:
            result.to_create.insert(0, f"group:{group['name']}")
        return result

    def prepare(self, destination: Destination, check: SchemaCheck) -> list[str]:
        """Create the property group and the properties `check` found missing."""
        properties_api = self.client.crm.properties
        group = destination.property_group
        created = []
        for item in check.to_create:
            if item.startswith("group:"):
                self.call(lambda: properties_api.groups_api.create(
                    destination.object, PropertyGroupCreate(name=group["name"], label=group["label"])),
                    "create property group")
                created.append(item)
                continue
            spec = destination.properties[item]
            options = [OptionInput(label=str(v), value=str(v), display_order=i, hidden=False)
                       for i, v in enumerate(spec.get("options") or [])]
            prop = PropertyCreate(name=item, label=spec["label"], type=spec["type"], field_type=spec["fieldType"],
                                  group_name=group["name"], options=options or None)
            self.call(lambda prop=prop: properties_api.core_api.create(destination.object, prop), "create property")
            created.append(item)
        return created

    # --- batch update -------------------------------------------------------------------

    def write_batch(self, destination: Destination, changes: list[Change]) -> list[RecordResult]:
        batch_api = self.client.crm.objects.batch_api
        inputs = BatchInputSimplePublicObjectBatchInput(inputs=[
            SimplePublicObjectBatchInput(id=c.record_id, properties=dict(c.values)) for c in changes])
        try:
            response = self.call(lambda: batch_api.update(destination.object, inputs,
                                                          _request_timeout=self.timeout_seconds),
                                 "batch update", write=True)
        except Exception as exc:
            if _is_api_exception(exc) and exc.status == 400:
                body = _body(exc)
                raise BatchRejected(str(body.get("category") or "VALIDATION_ERROR"),
                                    str(body.get("message") or "the batch was rejected")) from None
            if _is_api_exception(exc):
                raise self._fail(exc, "batch update") from None
            raise
        return batch_results(changes, response)


def _named_ids(error, sent: set[str]) -> set[str]:
    """The sent ids this error names: `context.ids`, its own `id`, or quoted in its message."""
    context = getattr(error, "context", None) or {}
    named = {str(i) for i in (context.get("ids") or [])}
    if getattr(error, "id", None):
        named.add(str(error.id))
    message = str(getattr(error, "message", None) or "")
    named |= {token for token in re.findall(r"[0-9A-Za-z_-]+", message) if token in sent}
    return named & sent


def batch_results(changes: list[Change], response) -> list[RecordResult]:
    """One result per change from a batch update's 200/207 answer."""
    sent = {c.record_id for c in changes}
    written = {str(r.id) for r in (getattr(response, "results", None) or [])}
    failed: dict[str, RecordResult] = {}
    unattributed: list[str] = []
    for error in getattr(response, "errors", None) or []:
        category = str(getattr(error, "category", None) or "ERROR")
        message = str(getattr(error, "message", None) or "")
        named = _named_ids(error, sent)
        if not named:
            unattributed.append(f"{category}: {message}")
        for rid in named:
            failed[rid] = RecordResult(rid, False, category, message, transient=category in TRANSIENT_CATEGORIES)
    results = []
    for c in changes:
        if c.record_id in failed:
            results.append(failed[c.record_id])
        elif c.record_id in written:
            results.append(RecordResult(c.record_id, True))
        elif unattributed:
            results.append(RecordResult(c.record_id, False, "UNCONFIRMED",
                                        "HubSpot reported errors naming no record (" + "; ".join(unattributed)
                                        + "); this record is not confirmed and is sent again", transient=True))
        else:
            results.append(RecordResult(c.record_id, False, "NO_RESULT", "HubSpot returned no result for this record",
                                        transient=True))
    return results
