"""Shared fixtures and helpers of the ingest tests (no tests here).

Every ingest test runs the real sources (dlt's REST client, simple-salesforce, SQLAlchemy)
through the real warehouse pipeline against a fresh Sandbox on the tiny world, so a test
can change the doubles (touch a ticket, add a fault) without disturbing another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest

from cs360_core.settings import Home, resolve_home
from pipelines.warehouse import rows_loaded, warehouse_pipeline
from sandbox.doubles.server import Sandbox


@pytest.fixture
def home(tmp_path) -> Home:
    return resolve_home(tmp_path / "home")


# small pages, so every paginator turns a few pages on the tiny world
SMALL_PAGES = {"salesforce": 10, "hubspot": 5, "zendesk": 10}


@pytest.fixture
def sandbox(tiny_world, tmp_path, monkeypatch):
    """A fresh sandbox per test, its env exported for the duration of the test; retries
    back off briefly (a Retry-After the doubles send is still honoured as sent)."""
    with Sandbox(tiny_world, tmp_path / "sandbox", page_sizes=SMALL_PAGES) as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
        yield running


def run_source(source: Callable, home: Home, **kwargs) -> dict[str, int]:
    """Runs `source()` (settings read from the environment) into the home's warehouse;
    returns the rows written per table by this run."""
    instance = source(**kwargs)
    pipeline = warehouse_pipeline(instance.name, home)
    pipeline.run(instance).raise_on_failed_jobs()
    return rows_loaded(pipeline)


def query(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def count(home: Home, table: str) -> int:
    return query(home, f"select count(*) from {table}")[0][0]


def distinct_ids(home: Home, table: str, key: str = "id") -> int:
    return query(home, f"select count(distinct {key}) from {table}")[0][0]


def table_exists(home: Home, schema: str, table: str) -> bool:
    return bool(query(home, "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                      [schema, table])[0][0])


def rejects(home: Home, schema: str) -> list[tuple[str, dict, str]]:
    """(resource, record, reason) of the dataset's rejected records."""
    if not table_exists(home, schema, "_rejected_records"):
        return []
    rows = query(home, f"select resource, record, reason from {schema}._rejected_records order by rejected_at")
    return [(resource, json.loads(record), reason) for resource, record, reason in rows]


def requests_to(sandbox: Sandbox, vendor: str, path_part: str = "") -> list[dict]:
    return [e for e in sandbox.request_log.entries(vendor) if path_part in e["path"]]


def params(entry: dict) -> dict[str, str]:
    """A logged request's query parameters (first value of each)."""
    return {k: v[0] for k, v in parse_qs(entry["query"], keep_blank_values=True).items()}


def world_rows(world: Path, table: str) -> list[dict]:
    from sandbox.world.format import read_table

    return read_table(world, table).to_dict("records")
