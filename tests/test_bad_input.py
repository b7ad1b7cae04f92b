"""Bad input, over every source: more than a thousand malformed records (missing keys, wrong
types, huge strings, invalid UTF-8, far-future / negative / digit-string timestamps,
duplicate ids), served by the doubles. Every one must land in `raw_<source>._rejected_records`
with its reason, every good record must load exactly as in a clean run, and no cursor may
move beyond now plus the allowed clock skew.

The API doubles break records with `malformed` faults (each inserts a broken copy of a real
record, so every broken record also repeats a good record's id); `fault.applied` says how
many records the doubles actually broke. The product database gets rows written into it,
the event folder a file of broken lines.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cs360_core.settings import resolve_home
from pipelines.freshdesk import freshdesk
from pipelines.hubspot import hubspot
from pipelines.product import product
from pipelines.salesforce import salesforce
from pipelines.surveys import surveys
from pipelines.training import training
from pipelines.validation import MAX_CLOCK_SKEW, parse_timestamp
from pipelines.warehouse import warehouse_pipeline
from pipelines.zendesk import zendesk
from sandbox.doubles.faults import MISSING
from sandbox.doubles.product_db import SCHEMA as PRODUCT_SCHEMA
from sandbox.doubles.server import Sandbox
from tests.kill_harness import raw_summary
from tests.test_ingest_support import query, run_source, table_exists

HUGE = "x" * 200_000
# (category of the reason, value) for a change stamp: what each break must be quarantined as
STAMP_BREAKS = [
    ("type", HUGE),
    ("future", "9999-12-31T23:59:59Z"),
    ("type", -1),
    ("type", "123456789012345678901234"),
    ("future", "9999999999999"),  # epoch milliseconds, in the year 2286
    ("type", "2024-01-0\udcff"),  # a lone surrogate: what invalid UTF-8 becomes in JSON
    ("missing", MISSING),
]

# vendor, path, method, list key, id field, wrong-typed id, change-stamp field, how many, schedule
ENDPOINTS = {
    "salesforce": [("salesforce", r"/query", "GET", "records", "Id", "not an Id!", "SystemModstamp", 26, call)
                   for call in range(1, 6)],
    "hubspot": [("hubspot", rf"/crm/v3/objects/{kind}$", "GET", "results", "id", True, f"properties.{stamp}", 48, 1)
                for kind, stamp in (("companies", "hs_lastmodifieddate"), ("contacts", "lastmodifieddate"),
                                    ("deals", "hs_lastmodifieddate"))],
    "zendesk": [("zendesk", r"/incremental/tickets/cursor", "GET", "tickets", "id", "not-a-number", "updated_at",
                 90, 1),
                ("zendesk", r"/satisfaction_ratings", "GET", "satisfaction_ratings", "id", "1e3", "created_at", 50, 1)],
    "freshdesk": [("freshdesk", r"/api/v2/tickets$", "GET", None, "id", "x1", "updated_at", 90, 1),
                  ("freshdesk", r"/surveys/satisfaction_ratings", "GET", None, "id", 1.5, "created_at", 50, 1)],
    "surveys": [("surveys", r"/v1/invitations", "GET", "data", "id", 12345, "updated_at", 70, 1),
                ("surveys", r"/v1/responses", "GET", "data", "id", ["R1"], "updated_at", 70, 1)],
    "training": [("lms", r"/api/v1/courses", "GET", "data", "id", 7, "updated_at", 70, 1),
                 ("lms", r"/api/v1/enrollments", "GET", "data", "id", {"id": 1}, "updated_at", 70, 1)],
}
SOURCES = {"salesforce": salesforce, "hubspot": hubspot, "zendesk": zendesk, "freshdesk": freshdesk,
           "surveys": surveys, "training": training}


def _breaks(id_field: str, wrong_id, stamp_field: str, n: int) -> list[tuple[str, str, object]]:
    """n (field, category, value), cycling through every kind of break."""
    kinds = [(id_field, "missing", MISSING), (id_field, "type", wrong_id)]
    kinds += [(stamp_field, category, value) for category, value in STAMP_BREAKS]
    return [kinds[i % len(kinds)] for i in range(n)]


def category(reason: str) -> tuple[str, str]:
    """(field, missing | type | future) of a reject's first problem."""
    first = reason.split("; ")[0]
    field, _, problem = first.partition(": ")
    if problem == "missing":
        return field, "missing"
    return field, "future" if "in the future" in problem else "type"


@pytest.fixture
def sandbox(tiny_world, tmp_path, monkeypatch):
    with Sandbox(tiny_world, tmp_path / "sandbox") as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
        yield running


def rejected(home, source: str) -> list[tuple[str, str]]:
    schema = f"raw_{source}"
    if not table_exists(home, schema, "_rejected_records"):
        return []
    return query(home, f"select resource, reason from {schema}._rejected_records")


def good_tables(summary: dict) -> dict:
    return {table: counts for table, counts in summary.items() if not table.endswith("._rejected_records")}


def cursors_beyond_now(home, source: str) -> dict[str, str]:
    """Every timestamp kept in the source's dlt state that lies beyond now plus the skew."""
    state = warehouse_pipeline(source, home).state
    limit = datetime.now(timezone.utc) + MAX_CLOCK_SKEW
    found = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                walk(inner, f"{path}[{i}]")
        elif isinstance(value, str) and not value.isdigit() and (moment := parse_timestamp(value)) and moment > limit:
            found[path] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and "time" in path.rsplit(".", 1)[-1]:
            if value > limit.timestamp():
                found[path] = value

    walk(state.get("sources", {}), "sources")
    return found


@pytest.mark.parametrize("source", list(ENDPOINTS))
def test_malformed_api_records_are_quarantined_and_the_rest_loads(source, sandbox, tmp_path):
    clean = resolve_home(tmp_path / "clean")
    run_source(SOURCES[source], clean)

    faults = []
    for vendor, path, method, list_key, id_field, wrong_id, stamp_field, n, call in ENDPOINTS[source]:
        for field, kind, value in _breaks(id_field, wrong_id, stamp_field, n):
            fault = sandbox.faults.add(vendor, path, "malformed", method=method, list_key=list_key, field=field,
                                       value=value, index=0, insert=True, calls=(call,))
            faults.append((fault, field, kind))
    home = resolve_home(tmp_path / "broken")
    run_source(SOURCES[source], home)

    assert [fault.applied for fault, _, _ in faults] == [1] * len(faults), "every fault broke one served record"
    served = Counter((field, kind) for _, field, kind in faults)
    assert cursors_beyond_now(home, source) == {}
    rejects = rejected(home, source)
    assert Counter(category(reason) for _, reason in rejects) == served
    assert good_tables(raw_summary(home.warehouse)) == good_tables(raw_summary(clean.warehouse))


# --- the product database and the event files -----------------------------------------------------

PRODUCT_DB_BAD = 80  # per table
EVENT_ROUNDS = 25  # of seven broken lines each


def _break_product_db(path: Path) -> Counter:
    """Rows without their primary key, some with huge text too; returns reasons expected."""
    with sqlite3.connect(path) as db:
        for i in range(PRODUCT_DB_BAD):
            name = HUGE if i % 3 == 0 else f"keyless tenant {i}"
            db.execute("insert into tenants (tenant_id, name, signup_email, created_at) values (null, ?, ?, ?)",
                       [name, f"t{i}@bad.example", "9999-12-31 00:00:00" if i % 2 else "2024-01-01 00:00:00"])
            db.execute("insert into users (user_id, tenant_id, email, role, created_at) values (null, ?, ?, ?, ?)",
                       ["T-unknown", f"u{i}@bad.example", HUGE if i % 3 == 1 else "admin", None])
    return Counter({("tenant_id", "missing"): PRODUCT_DB_BAD, ("user_id", "missing"): PRODUCT_DB_BAD})


def _bad_event_lines(world_events: Path) -> tuple[bytes, Counter]:
    good = json.loads(next(iter(_some_events(world_events))))
    lines, expected = [], Counter()

    def add(record, reason):
        lines.append(record if isinstance(record, bytes) else json.dumps(record).encode())
        expected[reason] += 1

    for i in range(EVENT_ROUNDS):
        add({k: v for k, v in good.items() if k != "event_id"}, ("event_id", "missing"))
        add({**good, "event_id": f"bad-tenant-{i}", "tenant_id": None}, ("tenant_id", "missing"))
        add({**good, "event_id": f"bad-time-{i}", "occurred_at": "123456789012345678901234"}, ("occurred_at", "type"))
        add({**good, "event_id": f"huge-{i}", "occurred_at": HUGE}, ("occurred_at", "type"))
        add({**good, "event_id": f"neg-{i}", "occurred_at": "-1"}, ("occurred_at", "type"))
        add(b'{"event_id": "cut-' + str(i).encode() + b'", "tenant_id": ', ("not a JSON object", "type"))
        # invalid UTF-8 inside a record that also lacks its tenant
        add(b'{"event_id": "utf8-' + str(i).encode() + b'\xff\xfe", "tenant_id": null, "occurred_at": "2024-01-01"}',
            ("tenant_id", "missing"))
    return b"\n".join(lines) + b"\n", expected


def _some_events(folder: Path):
    import pyarrow.parquet as pq

    table = pq.read_table(sorted(folder.glob("*.parquet"))[0]).slice(0, 1)
    row = table.to_pylist()[0]
    yield json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})


def event_category(reason: str) -> tuple[str, str]:
    if reason.startswith("not a JSON object"):
        return "not a JSON object", "type"
    return category(reason)


def test_malformed_product_rows_and_event_lines_are_quarantined_and_the_rest_loads(sandbox, tiny_world, tmp_path,
                                                                                    monkeypatch):
    events = tmp_path / "events"
    shutil.copytree(tiny_world / "events", events)
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(events))
    clean = resolve_home(tmp_path / "clean")
    run_source(product, clean)

    expected = _break_product_db(Path(sandbox.env["PRODUCT_DB_URL"].removeprefix("sqlite:///")))
    data, bad_events = _bad_event_lines(events)
    (events / "zz_broken.jsonl").write_bytes(data)
    home = resolve_home(tmp_path / "broken")
    run_source(product, home)

    rejects = rejected(home, "product")
    by_resource = Counter(resource for resource, _ in rejects)
    assert by_resource == {"tenants": PRODUCT_DB_BAD, "users": PRODUCT_DB_BAD, "events": sum(bad_events.values())}
    assert Counter(category(r) for res, r in rejects if res != "events") == expected
    assert Counter(event_category(r) for res, r in rejects if res == "events") == bad_events
    assert good_tables(raw_summary(home.warehouse)) == good_tables(raw_summary(clean.warehouse))


PRODUCT_DB_UNREADABLE = 20  # per kind


def test_product_rows_with_unreadable_values_are_quarantined_and_the_rest_loads(sandbox, tmp_path, monkeypatch):
    monkeypatch.delenv("PRODUCT_EVENTS_PATH")
    clean = resolve_home(tmp_path / "clean")
    run_source(product, clean)
    with sqlite3.connect(Path(sandbox.env["PRODUCT_DB_URL"].removeprefix("sqlite:///"))) as db:
        for i in range(PRODUCT_DB_UNREADABLE):
            db.execute("insert into tenants values (?, 'negative stamp', 'n@bad.example', -1)", [f"T-NEG-{i}"])
            db.execute("insert into tenants values (?, 'text stamp', 't@bad.example', 'yesterday')", [f"T-TXT-{i}"])
            db.execute("insert into tenants values (?, cast(x'66ff' as text), 'u@bad.example', '2024-01-01')",
                       [f"T-UTF-{i}"])
    home = resolve_home(tmp_path / "broken")
    run_source(product, home)

    rejects = rejected(home, "product")
    assert Counter(category(reason)[0] for _, reason in rejects) == {"created_at": 2 * PRODUCT_DB_UNREADABLE,
                                                                     "name": PRODUCT_DB_UNREADABLE}
    assert Counter(rejects) == {
        ("tenants", 'created_at: expected an ISO-8601 timestamp, got "-1"'): PRODUCT_DB_UNREADABLE,
        ("tenants", 'created_at: expected an ISO-8601 timestamp, got "yesterday"'): PRODUCT_DB_UNREADABLE,
        ("tenants", "name: expected UTF-8 text, got bytes b'f\\xff'"): PRODUCT_DB_UNREADABLE,
    }
    assert good_tables(raw_summary(home.warehouse)) == good_tables(raw_summary(clean.warehouse))


@pytest.fixture
def product_db(tmp_path, monkeypatch) -> Path:
    """The product database's schema with three tenants and no users; no event files."""
    path = tmp_path / "product.db"
    with sqlite3.connect(path) as db:
        db.executescript(PRODUCT_SCHEMA)
        db.executemany("insert into tenants values (?, ?, ?, ?)", [
            ("T1", "One", "a@one.example", "2025-01-02 03:04:05"),
            ("T2", "Two", "b@two.example", "2025-02-03T04:05:06.250000"),
            ("T3", "Three", "c@three.example", "2025-03-04"),
        ])
    monkeypatch.setenv("PRODUCT_DB_URL", f"sqlite:///{path}")
    monkeypatch.delenv("PRODUCT_EVENTS_PATH", raising=False)
    return path


def _tenants(home) -> list[tuple]:
    return query(home, "select tenant_id, name, strftime(created_at, '%Y-%m-%d %H:%M:%S.%f'), is_deleted "
                       "from raw_product.tenants order by tenant_id")


def test_a_row_that_turns_unreadable_keeps_its_last_good_version_and_is_not_marked_deleted(product_db, tmp_path):
    home = resolve_home(tmp_path / "home")
    run_source(product, home)
    first = [("T1", "One", "2025-01-02 03:04:05.000000", False), ("T2", "Two", "2025-02-03 04:05:06.250000", False),
             ("T3", "Three", "2025-03-04 00:00:00.000000", False)]
    assert _tenants(home) == first

    with sqlite3.connect(product_db) as db:
        db.execute("update tenants set created_at = 'infinity' where tenant_id = 'T1'")
        db.execute("update tenants set name = cast(x'54776fc3' as text) where tenant_id = 'T2'")  # cut mid-character
        db.execute("update tenants set name = 'Three, renamed', created_at = '2025-03-04T12:00:00+02:00' "
                   "where tenant_id = 'T3'")
        db.execute("insert into tenants values ('T4', 'Four', 'd@four.example', 20250405)")
        db.execute("insert into tenants values ('T5', 'Five', 'e@five.example', '0000-01-01 00:00:00')")  # no year 0
    run_source(product, home)

    assert _tenants(home) == first[:2] + [("T3", "Three, renamed", "2025-03-04 10:00:00.000000", False)]
    assert sorted(rejected(home, "product")) == [
        ("tenants", 'created_at: expected an ISO-8601 timestamp, got "0000-01-01 00:00:00"'),
        ("tenants", 'created_at: expected an ISO-8601 timestamp, got "20250405"'),
        ("tenants", 'created_at: expected an ISO-8601 timestamp, got "infinity"'),
        ("tenants", "name: expected UTF-8 text, got bytes b'Two\\xc3'"),
    ]
    records = {json.loads(record)["tenant_id"]: json.loads(record)
               for (record,) in query(home, "select record from raw_product._rejected_records")}
    assert records["T2"]["name"] == "Two\\xc3" and records["T4"]["created_at"] == "20250405"


def test_over_a_thousand_malformed_records_spread_over_every_source():
    per_source = {source: sum(endpoint[-2] for endpoint in endpoints) for source, endpoints in ENDPOINTS.items()}
    per_source["product"] = 2 * PRODUCT_DB_BAD + 7 * EVENT_ROUNDS
    assert min(per_source.values()) >= 130 and sum(per_source.values()) >= 1000, per_source
