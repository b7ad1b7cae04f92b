"""Product source under the changes real product databases and event folders go through:
camelCase and reserved-word columns, columns added while rows are deleted (SQLite and
PostgreSQL), event logs appended to while they are read, events folders renamed or emptied."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.product import EventFilesMissing, product
from pipelines.product.event_files import event_files, read_event_batches
from test_ingest_support import count, home, query, run_source  # noqa: F401  (fixtures)
from tests.services import postgres_listening

# --- deletions in tables whose columns dlt renames ---------------------------------------------

# camelCase ("createdAt" lands as created_at), reserved words ("order", "group")
TABLES = """
create table tenants (tenant_id text primary key, "displayName" text, "createdAt" timestamp, "order" integer);
create table users (user_id text primary key, tenant_id text not null, "group" text, "lastLoginAt" timestamp)
"""
TENANTS = [{"tenant_id": f"T{n}", "name": f"Tenant {n}", "created": f"2025-0{n}-01 10:00:00", "order": n}
           for n in range(1, 6)]
USERS = [{"user_id": f"U{n}", "tenant_id": f"T{1 + n % 5}", "group": "admins" if n % 2 else "staff",
          "login": f"2025-06-{10 + n} 08:30:00"} for n in range(1, 9)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def product_db(request, tmp_path, monkeypatch) -> sa.Engine:
    """A product database with awkward column names, reached through `PRODUCT_DB_URL`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'product.db'}"
        yield _seeded(url, monkeypatch)
        return
    if not postgres_listening():
        pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
    name = f"cs360_product_{secrets.token_hex(4)}"
    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'create database "{name}"'))
    engine = None
    try:
        engine = _seeded(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}", monkeypatch)
        yield engine
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as con:
            con.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def _seeded(url: str, monkeypatch) -> sa.Engine:
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for statement in TABLES.split(";"):
            con.execute(sa.text(statement))
        con.execute(sa.text('insert into tenants values (:tenant_id, :name, :created, :order)'),
                    [{**t, "created": _instant(t["created"])} for t in TENANTS])
        con.execute(sa.text('insert into users values (:user_id, :tenant_id, :group, :login)'),
                    [{**u, "login": _instant(u["login"])} for u in USERS])
    monkeypatch.setenv("PRODUCT_DB_URL", url)
    monkeypatch.delenv("PRODUCT_EVENTS_PATH", raising=False)
    return engine


def _instant(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


def _execute(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as con:
        for statement in statements:
            con.execute(sa.text(statement))


def test_deletions_with_renamed_reserved_and_new_columns_over_several_runs(product_db, home):
    run_source(product, home)
    assert {r[0] for r in query(home, "describe raw_product.tenants")} >= {"display_name", "created_at", "order"}

    # run 2: a column is added and rows deleted in the same run
    _execute(product_db, 'alter table tenants add column "planTier" text',
             """update tenants set "planTier" = 'gold' where tenant_id = 'T1'""",
             "delete from users where user_id = 'U3'", "delete from tenants where tenant_id = 'T2'")
    run_source(product, home)

    # run 3: one more deletion, and one row that came back
    _execute(product_db, "delete from users where user_id = 'U8'",
             """insert into users values ('U3', 'T4', 'staff', '2025-07-01 09:00:00')""")
    run_source(product, home)

    # run 4: nothing changed
    run_source(product, home)

    assert query(home, "select tenant_id, display_name, strftime(created_at, '%Y-%m-%d %H:%M'), \"order\", "
                       "plan_tier, is_deleted from raw_product.tenants order by tenant_id") == [
        ("T1", "Tenant 1", "2025-01-01 10:00", 1, "gold", False),
        ("T2", "Tenant 2", "2025-02-01 10:00", 2, None, True),
        ("T3", "Tenant 3", "2025-03-01 10:00", 3, None, False),
        ("T4", "Tenant 4", "2025-04-01 10:00", 4, None, False),
        ("T5", "Tenant 5", "2025-05-01 10:00", 5, None, False),
    ]
    assert query(home, "select user_id, tenant_id, \"group\", strftime(last_login_at, '%Y-%m-%d %H:%M'), is_deleted "
                       "from raw_product.users order by user_id") == [
        ("U1", "T2", "admins", "2025-06-11 08:30", False),
        ("U2", "T3", "staff", "2025-06-12 08:30", False),
        ("U3", "T4", "staff", "2025-07-01 09:00", False),
        ("U4", "T5", "staff", "2025-06-14 08:30", False),
        ("U5", "T1", "admins", "2025-06-15 08:30", False),
        ("U6", "T2", "staff", "2025-06-16 08:30", False),
        ("U7", "T3", "admins", "2025-06-17 08:30", False),
        ("U8", "T4", "staff", "2025-06-18 08:30", True),
    ]


# --- event files: appends during a read, renames, a path that matches nothing --------------------

def _event(n: int, prefix: str = "e") -> dict:
    return {"event_id": f"{prefix}{n}", "tenant_id": f"T{n % 3}", "user_id": f"U{n % 5}", "event_type": "login",
            "feature": "reports", "occurred_at": f"2025-03-0{1 + n % 9}T12:00:00Z"}


def _write_jsonl(path: Path, events: list[dict], mode: str = "w") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode) as out:
        out.writelines(json.dumps(event) + "\n" for event in events)


def _write_parquet(path: Path, events: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(events), path)


@pytest.fixture
def events_only(tmp_path, monkeypatch) -> Path:
    """An events folder, and a product database with empty tables (only events change)."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'product.db'}")
    with engine.begin() as con:
        for statement in TABLES.split(";"):
            con.execute(sa.text(statement))
    engine.dispose()
    folder = tmp_path / "events"
    folder.mkdir()
    monkeypatch.setenv("PRODUCT_DB_URL", f"sqlite:///{tmp_path / 'product.db'}")
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(folder))
    return folder


def _event_ids(home) -> list[str]:
    return [r[0] for r in query(home, "select event_id from raw_product.events order by event_id")]


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_rows_appended_while_a_file_is_read_load_on_the_next_run(events_only, home, kind):
    log_file = events_only / f"app.{kind}"
    first, later = [_event(n) for n in range(10)], [_event(n) for n in range(10, 14)]
    (_write_jsonl if kind == "jsonl" else _write_parquet)(log_file, first)

    class AppendAfterTheRead(logging.Handler):
        """Called in the run's own thread once the files are read, before they are recorded."""

        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("product events:") and not self.done:
                self.done = True
                if kind == "jsonl":
                    _write_jsonl(log_file, later, mode="a")
                else:  # a parquet log is rewritten whole, as writers do
                    _write_parquet(log_file, first + later)

    hook = AppendAfterTheRead(logging.INFO)
    hook.done = False
    logger = logging.getLogger("pipelines.product")
    logger.addHandler(hook)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        assert run_source(product, home)["events"] == 10
    finally:
        logger.removeHandler(hook)
        logger.setLevel(level)
    assert hook.done and _event_ids(home) == sorted(e["event_id"] for e in first)

    assert run_source(product, home)["events"] == 14
    assert _event_ids(home) == sorted(e["event_id"] for e in first + later)
    assert run_source(product, home).get("events", 0) == 0


def test_a_jsonl_file_is_read_only_as_far_as_it_was_listed(tmp_path):
    log_file = tmp_path / "app.jsonl"
    _write_jsonl(log_file, [_event(n) for n in range(5)])
    [listed] = event_files(str(tmp_path))
    _write_jsonl(log_file, [_event(n) for n in range(5, 8)], mode="a")

    read = [row["event_id"] for batch in read_event_batches(listed) for row in batch.good.to_pylist()]

    assert read == [f"e{n}" for n in range(5)]
    assert listed.digest() == hashlib.sha256(log_file.read_bytes()[:listed.size]).hexdigest()


def test_renamed_copied_and_moved_event_files_are_not_loaded_again(events_only, home, tmp_path, monkeypatch):
    _write_jsonl(events_only / "2025" / "app-2025-01.jsonl", [_event(n) for n in range(6)])
    _write_parquet(events_only / "2025" / "app-2025-02.parquet", [_event(n, "p") for n in range(4)])
    assert run_source(product, home)["events"] == 10

    # the folder renamed and the files renamed in it (mtimes kept)
    moved = tmp_path / "product-events"
    events_only.rename(moved)
    (moved / "2025" / "app-2025-01.jsonl").rename(moved / "2025" / "january.jsonl")
    (moved / "2025").rename(moved / "archive")
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(moved / "**" / "*.*"))
    assert run_source(product, home).get("events", 0) == 0

    # copied to a new folder (new mtimes)
    copied = tmp_path / "copied"
    shutil.copytree(moved, copied, copy_function=shutil.copyfile)
    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(copied))
    assert run_source(product, home).get("events", 0) == 0
    assert count(home, "raw_product.events") == 10

    # a renamed log that grows replaces its own rows, under the name they were loaded with
    _write_jsonl(copied / "archive" / "january.jsonl", [_event(n) for n in range(6, 9)], mode="a")
    assert run_source(product, home)["events"] == 9
    assert _event_ids(home) == sorted([f"e{n}" for n in range(9)] + [f"p{n}" for n in range(4)])
    assert dict(query(home, "select _source_file, count(*) from raw_product.events group by 1")) == {
        str(Path("2025") / "app-2025-01.jsonl"): 9, str(Path("2025") / "app-2025-02.parquet"): 4}

    # a new file under the old name keeps its rows apart from the renamed file's
    _write_jsonl(copied / "2025" / "app-2025-01.jsonl", [_event(n, "n") for n in range(2)])
    assert run_source(product, home)["events"] == 2
    _write_jsonl(copied / "2025" / "app-2025-01.jsonl", [_event(2, "n")], mode="a")
    assert run_source(product, home)["events"] == 3
    assert _event_ids(home) == sorted([f"e{n}" for n in range(9)] + [f"p{n}" for n in range(4)]
                                      + [f"n{n}" for n in range(3)])


def test_an_events_path_that_matches_nothing_is_reported_and_fails_once_it_matched_files(
        events_only, home, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="pipelines.product")
    assert run_source(product, home).get("events", 0) == 0
    assert [r.getMessage() for r in caplog.records if "matches no event file" in r.getMessage()] == [
        f"PRODUCT_EVENTS_PATH {events_only} matches no event file (.parquet, .jsonl, .ndjson); no events loaded"]

    _write_jsonl(events_only / "app.jsonl", [_event(n) for n in range(3)])
    assert run_source(product, home)["events"] == 3

    monkeypatch.setenv("PRODUCT_EVENTS_PATH", str(tmp_path / "evnets"))  # a typo
    with pytest.raises(PipelineStepFailed) as failed:
        run_source(product, home)
    assert isinstance(failed.value.__cause__.__cause__, EventFilesMissing)
    assert str(failed.value.__cause__.__cause__) == (
        f"PRODUCT_EVENTS_PATH {tmp_path / 'evnets'} matches no event file (.parquet, .jsonl, .ndjson), but 1 file "
        "was loaded from the events path before: point PRODUCT_EVENTS_PATH at the folder that holds them, "
        "or unset it to stop loading events")
    assert _event_ids(home) == ["e0", "e1", "e2"]
