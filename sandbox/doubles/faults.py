"""Fault injection for the vendor doubles: deterministic, per endpoint, shared by a Sandbox.

    plan = FaultPlan(seed=7)
    plan.add("hubspot", r"/batch/update", "rate_limit", first=2, retry_after=1)
    plan.add("zendesk", r"/incremental/tickets", "malformed", field="updated_at", value=12345)
    plan.add("salesforce", r"/composite/sobjects", "lock", records=(1,), every=3)
    plan.add("freshdesk", r"/api/v2/tickets$", "touch", calls=(1,), action=lambda: desk.touch(7))

A fault matches a request by vendor, optional method and a regular expression searched in
the path. Each matching call is numbered 1, 2, 3... per fault, and the schedule decides
whether the fault fires on that call: `first=N` (calls 1..N), `every=N` (N, 2N, ...),
`calls=(2, 5)` (exactly those), `probability=p` (a random.Random(seed) draw per call), or
no schedule (every call); `times=N` stops it after N firings. The same plan and the same
sequence of calls give the same faults.

Kinds, and what each double makes of them:
  rate_limit      the vendor's throttling answer (429 + Retry-After, HubSpot policyName,
                  Salesforce 403 REQUEST_LIMIT_EXCEEDED)
  server_error    a 5xx in the vendor's shape (`status`, default 500)
  slow            sleep `seconds`, then answer normally
  timeout         sleep `seconds` (default 30) so the client gives up; the request is still
                  processed afterwards, as a real server may do
  malformed       one record of a list response loses `field` (value omitted) or gets
                  `value`; `index` picks the record, `insert=True` adds the broken copy instead
  record_failure  per-record write failures at batch positions `records` (Salesforce
                  SaveResult / Bulk failed rows, HubSpot 207 errors); `code` and `message`;
                  HubSpot names the failed id by `attribution`: "ids" (context.ids),
                  "message" (only quoted in the message) or "none" (an error naming no id)
  lock            Salesforce UNABLE_TO_LOCK_ROW on the records (whole request for a single
                  record), HubSpot 423 Locked
  touch           answer normally, then call `action()`: a record changes after page N was
                  served and before page N+1 is asked for, as users do while a listing runs
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field as dc_field
from typing import Any
from collections.abc import Callable

KINDS = ("rate_limit", "server_error", "slow", "timeout", "malformed", "record_failure", "lock", "touch")
DELAYS = ("slow", "timeout")
RECORD_KINDS = ("record_failure", "lock")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # `value` default: the malformed record lacks the field


@dataclass
class Fault:
    vendor: str
    path: str = ""
    kind: str = "server_error"
    method: str | None = None
    # schedule
    first: int | None = None
    every: int | None = None
    calls: tuple[int, ...] = ()
    probability: float | None = None
    seed: int = 0
    times: int | None = None
    # what the fault does
    status: int | None = None
    retry_after: float | None = None
    policy: str | None = None
    seconds: float | None = None
    field: str | None = None
    value: Any = MISSING
    index: int = 0
    insert: bool = False
    list_key: str | None = None
    records: tuple[int, ...] = (0,)
    code: str | None = None
    message: str | None = None
    attribution: str = "ids"
    action: Callable[[], Any] | None = None
    # counters, readable by tests
    matched: int = 0
    fired: int = 0
    applied: int = 0  # malformed: records actually broken (a fired fault finds none on a short page)
    _pattern: re.Pattern = dc_field(init=False, repr=False)
    _rng: random.Random = dc_field(init=False, repr=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.kind == "malformed" and not self.field:
            raise ValueError("a malformed fault needs the `field` to break")
        if self.kind == "touch" and not callable(self.action):
            raise ValueError("a touch fault needs the `action` to call after answering")
        self.calls = tuple(self.calls)
        self.records = tuple(self.records)
        if self.seconds is None:
            self.seconds = 30.0 if self.kind == "timeout" else 1.0 if self.kind == "slow" else 0.0
        self._pattern = re.compile(self.path)
        self._rng = random.Random(self.seed)

    def matches(self, vendor: str, method: str, path: str) -> bool:
        return (vendor == self.vendor and (self.method is None or self.method.upper() == method)
                and self._pattern.search(path) is not None)

    def decide(self) -> bool:
        """Count one matching call and say whether the fault fires on it."""
        self.matched += 1
        n = self.matched
        if self.times is not None and self.fired >= self.times:
            return False
        scheduled = [s for s in (self.first, self.every, self.probability) if s is not None] or self.calls
        fires = not scheduled  # no schedule: every call
        if self.first is not None and n <= self.first:
            fires = True
        if self.every is not None and n % self.every == 0:
            fires = True
        if n in self.calls:
            fires = True
        if self.probability is not None and self._rng.random() < self.probability:
            fires = True
        if fires:
            self.fired += 1
        return fires


class FaultPlan:
    """The faults of one sandbox; thread-safe, shared by all its doubles."""

    def __init__(self, *faults: Fault, seed: int = 0):
        self.seed = seed
        self._faults: list[Fault] = list(faults)
        self._lock = threading.Lock()

    def add(self, vendor: str, path: str = "", kind: str = "server_error", **options) -> Fault:
        """Add a fault; without an explicit `seed` it gets one derived from the plan's seed."""
        with self._lock:
            options.setdefault("seed", self.seed * 1000 + len(self._faults))
            fault = Fault(vendor=vendor, path=path, kind=kind, **options)
            self._faults.append(fault)
            return fault

    def fire(self, vendor: str, method: str, path: str) -> list[Fault]:
        """The faults that fire on this call (every matching fault counts the call)."""
        with self._lock:
            return [f for f in self._faults if f.matches(vendor, method, path) and f.decide()]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self):
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


def failing_records(fired: list[Fault], count: int) -> dict[int, Fault]:
    """Batch position -> the record-level fault that fails it."""
    out: dict[int, Fault] = {}
    for fault in fired:
        if fault.kind in RECORD_KINDS:
            for position in fault.records:
                if 0 <= position < count:
                    out.setdefault(position, fault)
    return out


_LIST_KEYS = ("records", "results", "data", "tickets", "ticket_metrics", "satisfaction_ratings", "users")


def break_record(body: Any, fault: Fault) -> bool:
    """Apply a malformed fault to a parsed JSON body in place; False when it has no records."""
    if isinstance(body, list):
        records = body
    elif isinstance(body, dict):
        keys = (fault.list_key,) if fault.list_key else _LIST_KEYS
        records = next((body[k] for k in keys if isinstance(body.get(k), list)), None)
    else:
        records = None
    if not records or fault.index >= len(records) or not isinstance(records[fault.index], dict):
        return False
    broken = _copy(records[fault.index])
    *parents, leaf = fault.field.split(".")
    target = broken
    for key in parents:  # dotted paths reach nested values, e.g. properties.hs_lastmodifieddate
        target = target.get(key) if isinstance(target, dict) else None
    if not isinstance(target, dict):
        return False
    if fault.value is MISSING:
        target.pop(leaf, None)
    else:
        target[leaf] = fault.value
    if fault.insert:
        records.insert(fault.index + 1, broken)
    else:
        records[fault.index] = broken
    return True


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
