"""Product source under the changes real product databases and event folders go through:
camelCase and reserved-word columns, columns added while rows are deleted (SQLite and
PostgreSQL), event logs appended to while they are read, events folders renamed or emptied."""

from __future__ import annotations

import secrets
import socket

import pytest
import sqlalchemy as sa

from pipelines.product import product
from test_ingest_support import count, home, query, run_source  # noqa: F401  (fixtures)

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


def _postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def product_db(request, tmp_path, monkeypatch) -> sa.Engine:
    """A product database with awkward column names, reached through `PRODUCT_DB_URL`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'product.db'}"
        yield _seeded(url, monkeypatch)
        return
    if not _postgres_available():
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
