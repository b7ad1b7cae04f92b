"""Product source: the product database (SQLite from the sandbox, and PostgreSQL) and the
event files (parquet and jsonl), file-level incremental loads, deletions and kills."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipelines.product import product
from pipelines.warehouse import warehouse_pipeline
from sandbox.world.cut import cut_world, day_later
from sandbox.world.format import event_files, read_meta
from test_ingest_support import (  # noqa: F401  (fixtures)
    count, distinct_ids, home, query, rejects, run_source, sandbox, world_rows,
)
from tests.services import postgres_listening


def _world_events(world: Path) -> int:
    return sum(pq.ParquetFile(path).metadata.num_rows for path in event_files(world))


@pytest.fixture
def events_dir(tiny_world, tmp_path, monkeypatch) -> Path:
    """A copy of the world's event files the test may add to or change."""
    folder = tmp_path / "events"
    shutil.copytree(tiny_world / "events", folder)
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(folder))
    return folder


def test_database_and_event_files_land_exactly(sandbox, home, tiny_world):
    run_source(product, home)

    assert count(home, "raw_product.tenants") == distinct_ids(home, "raw_product.tenants", "tenant_id") == len(
        world_rows(tiny_world, "tenants"))
    assert count(home, "raw_product.users") == len(world_rows(tiny_world, "product_users"))
    assert count(home, "raw_product.events") == distinct_ids(home, "raw_product.events", "event_id") == _world_events(
        tiny_world)
    per_file = dict(query(home, "select _source_file, count(*) from raw_product.events group by 1"))
    assert per_file == {p.name: pq.ParquetFile(p).metadata.num_rows for p in event_files(tiny_world)}
    columns = {r[0]: r[1] for r in query(home, "describe raw_product.events")}
    assert columns["occurred_at"] == "TIMESTAMP WITH TIME ZONE" and "_dlt_load_id" in columns
    assert {"tenant_id", "name", "signup_email", "created_at", "is_deleted", "_dlt_id"} <= {
        r[0] for r in query(home, "describe raw_product.tenants")}
    assert rejects(home, "raw_product") == []


def test_new_and_changed_files_only_are_loaded_again(sandbox, home, events_dir, tiny_world):
    run_source(product, home)
    total = _world_events(tiny_world)

    assert run_source(product, home).get("events", 0) == 0  # nothing new: no file read

    first = sorted(events_dir.glob("*.parquet"))[0]
    extra = pq.read_table(first)
    extra = extra.set_column(0, "event_id", pa.array([f"late_{i}" for i in range(extra.num_rows)]))
    (events_dir / "late").mkdir()
    pq.write_table(extra, events_dir / "late" / "extra.parquet")
    assert run_source(product, home)["events"] == extra.num_rows
    assert count(home, "raw_product.events") == total + extra.num_rows

    # a log that grew: its file is replaced, its old rows deleted first
    grown = pq.read_table(first)
    more = grown.slice(0, 5).set_column(0, "event_id", pa.array([f"grown_{i}" for i in range(5)]))
    pq.write_table(pa.concat_tables([grown, more]), first)
    assert run_source(product, home)["events"] == grown.num_rows + 5
    assert count(home, "raw_product.events") == distinct_ids(home, "raw_product.events", "event_id") == (
        total + extra.num_rows + 5)
    assert query(home, "select count(*) from raw_product.events where _source_file = ?", [first.name])[0][0] == (
        grown.num_rows + 5)


def test_a_day_later_only_the_new_days_file_is_read_from_another_folder(sandbox, home, tiny_world, tmp_path,
                                                                     monkeypatch):
    """The company a day later is served from another folder (another sandbox, another
    world folder): its files are known by their names under the events folder, and only
    the one file of the new day is read."""
    as_of = dt.date.fromisoformat(read_meta(tiny_world)["as_of"])
    cut_world(tiny_world, tmp_path / "day-before", as_of - dt.timedelta(days=1))
    day_later(tmp_path / "day-before", tiny_world, tmp_path / "day-later")
    events = pa.concat_tables([pq.read_table(path) for path in event_files(tiny_world)])
    last_day = pc.greater_equal(events.column("occurred_at"),
                                pa.scalar(dt.datetime.combine(as_of, dt.time(), dt.timezone.utc)))
    new = pc.sum(last_day).as_py()
    assert 0 < new < events.num_rows  # the XS world has events on its last day

    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(tmp_path / "day-before" / "events"))
    assert run_source(product, home)["events"] == events.num_rows - new
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(tmp_path / "day-later" / "events"))
    assert run_source(product, home)["events"] == new

    assert count(home, "raw_product.events") == distinct_ids(home, "raw_product.events", "event_id") == (
        events.num_rows)
    assert query(home, "select count(*) from raw_product.events where _source_file = ?",
                 [f"{as_of}.parquet"]) == [(new,)]


def test_the_same_files_named_through_a_glob_are_not_loaded_again(sandbox, home, events_dir, monkeypatch, tiny_world):
    run_source(product, home)
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(events_dir.parent / "event[s]" / "*.parquet"))

    assert run_source(product, home).get("events", 0) == 0
    assert count(home, "raw_product.events") == _world_events(tiny_world)


def test_jsonl_event_files_and_malformed_lines(sandbox, home, tmp_path, monkeypatch, tiny_world):
    folder = tmp_path / "jsonl"
    folder.mkdir()
    rows = pq.read_table(event_files(tiny_world)[0]).to_pylist()
    with (folder / "events.jsonl").open("w") as out:
        for row in rows:
            out.write(json.dumps({**row, "occurred_at": row["occurred_at"].isoformat()}) + "\n")
    with (folder / "odd.jsonl").open("w") as out:
        out.write(json.dumps({"event_id": 7, "tenant_id": "T1", "user_id": None, "event_type": "login",
                              "occurred_at": "2026-01-02 03:04:05"}) + "\n")  # numeric id, no zone: fine
        out.write(json.dumps({"event_id": "x1", "user_id": "U1", "event_type": "login",
                              "occurred_at": "2026-01-02T03:04:05Z"}) + "\n")  # no tenant
        out.write(json.dumps({"event_id": "x2", "tenant_id": "T1", "occurred_at": "yesterday"}) + "\n")
        out.write("this line is not json\n")
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(folder))

    run_source(product, home)

    assert count(home, "raw_product.events") == len(rows) + 1
    assert query(home, "select event_id, occurred_at::varchar from raw_product.events where _source_file = 'odd.jsonl'"
                 ) == [("7", "2026-01-02 03:04:05+00")]
    loaded = dict(query(home, "select event_id, epoch_ms(occurred_at) from raw_product.events "
                              "where _source_file = 'events.jsonl'"))
    assert loaded == {r["event_id"]: int(r["occurred_at"].timestamp() * 1000) for r in rows}
    reasons = sorted(reason for resource, _, reason in rejects(home, "raw_product") if resource == "events")
    assert reasons == ['not a JSON object: Expecting value: line 1 column 1 (char 0)',
                       'occurred_at: expected an ISO-8601 timestamp, got "yesterday"', "tenant_id: missing"]


def test_rows_gone_from_the_database_are_marked_deleted(sandbox, home, tiny_world):
    run_source(product, home)
    gone = world_rows(tiny_world, "product_users")[0]["user_id"]
    db = sqlite3.connect(sandbox.env["PRODUCT_DB_URL"].removeprefix("sqlite:///"))
    with db:
        db.execute("delete from users where user_id = ?", [gone])
    db.close()

    run_source(product, home)

    assert count(home, "raw_product.users") == len(world_rows(tiny_world, "product_users"))
    assert query(home, "select user_id from raw_product.users where is_deleted") == [(gone,)]
    assert query(home, "select email is not null from raw_product.users where user_id = ?", [gone]) == [(True,)]


def test_rows_of_a_load_that_never_completed_are_replaced(sandbox, home, events_dir, tiny_world):
    """A load killed after it wrote some events but before it completed: the warehouse keeps
    rows under a load id that is not in `_dlt_loads`, and the restored state says their file
    is not loaded. The next run deletes those rows before it loads the file again."""
    run_source(product, home)
    late = pq.read_table(sorted(events_dir.glob("*.parquet"))[0]).slice(0, 10)
    late = late.set_column(0, "event_id", pa.array([f"late_{i}" for i in range(10)]))
    pq.write_table(late, events_dir / "late.parquet")
    pipeline = warehouse_pipeline("product", home)
    pipeline.run(product())
    with pipeline.sql_client() as client:  # forget that the second load completed
        unfinished = client.execute_sql("select max(load_id) from _dlt_loads")[0][0]
        client.execute_sql("delete from _dlt_loads where load_id = %s", unfinished)
        client.execute_sql("delete from _dlt_pipeline_state where _dlt_load_id = %s", unfinished)
    pipeline.drop()  # as dagster-dlt does before a run: state comes back from the warehouse

    run_source(product, home)

    assert count(home, "raw_product.events") == distinct_ids(home, "raw_product.events", "event_id") == (
        _world_events(tiny_world) + 10)


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_listening(), reason="PostgreSQL is not listening on 127.0.0.1:5432")
def test_product_database_on_postgresql(home, tiny_world, monkeypatch):
    import psycopg2

    name = f"cs360_product_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    try:
        db = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=name)
        with db, db.cursor() as cur:
            cur.execute("create table tenants (tenant_id text primary key, name text, signup_email text, "
                        "created_at timestamptz)")
            cur.execute("create table users (user_id text primary key, tenant_id text not null references tenants, "
                        "email text, role text, created_at timestamptz)")
            cur.executemany("insert into tenants values (%s, %s, %s, %s)",
                            [(t["tenant_id"], t["name"], t["signup_email"], t["created_at"])
                             for t in world_rows(tiny_world, "tenants")])
            cur.executemany("insert into users values (%s, %s, %s, %s, %s)",
                            [(u["user_id"], u["tenant_id"], u["email"], u["role"], u["created_at"])
                             for u in world_rows(tiny_world, "product_users")])
        db.close()
        monkeypatch.setenv("PRODUCT_DB_URL", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}")
        monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(tiny_world / "events"))

        run_source(product, home)

        assert count(home, "raw_product.tenants") == len(world_rows(tiny_world, "tenants"))
        assert count(home, "raw_product.users") == len(world_rows(tiny_world, "product_users"))
        assert count(home, "raw_product.events") == _world_events(tiny_world)
        first = world_rows(tiny_world, "tenants")[0]
        landed = query(home, "select signup_email, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') from raw_product.tenants "
                             "where tenant_id = ?", [first["tenant_id"]])
        assert landed == [(first["signup_email"], first["created_at"])]
    finally:
        admin.cursor().execute(f'drop database if exists "{name}" with (force)')
        admin.close()
