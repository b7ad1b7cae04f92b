"""The published copy of the marts: what the web app, analysts and BI tools read.

DuckDB lets one process write a database file and no other process open it meanwhile, so
nothing but the pipeline ever opens `warehouse.duckdb`. At the end of each run the marts
are copied into a new file next to the published one and moved over it with `os.replace`:
a reader that has the old copy open keeps reading it (the old inode lives until it is
closed), the next connection sees the new one, and neither side ever waits for the other.
On PostgreSQL (cs360_core.warehouse) readers could share the database, but the web app
keeps reading the same local copy: it is made from the PostgreSQL marts the same way.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from cs360_core import warehouse
from cs360_core.introspection import column_names, table_exists, table_names
from cs360_core.settings import Home

# Besides every table and view of `marts`: what the customer page needs from elsewhere.
EXTRA_TABLES = (
    ("intermediate", "int_training__enrollments"),
    ("seeds", "health_band_thresholds"),
)
# Tables with these columns are stored sorted by them, so that DuckDB's per-row-group
# min/max skips everything but one account's rows (the customer page of the largest
# account stays fast at L size).
SORT_KEYS = ("account_id", "as_of_date")
# dbt views name their catalog after the file: the warehouse is attached under that name.
WAREHOUSE_ALIAS = "warehouse"


def published_path(home: Home) -> Path:
    # Not "marts.duckdb": DuckDB names a file's catalog after it, and a catalog called
    # `marts` would make every `marts.<table>` reference ambiguous.
    return home.root / "published" / "cs360.duckdb"


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: int
    rows: int
    refreshed_at: datetime
    seconds: float


def publish_marts(home: Home, *, run_id: str | None = None) -> Publication:
    """Copies the marts into `<home>/published/marts.duckdb`, atomically."""
    started = time.monotonic()
    target = published_path(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f"publishing_{os.getpid()}.duckdb.tmp")  # same folder: os.replace stays atomic
    staging.unlink(missing_ok=True)
    refreshed_at = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        with duckdb.connect(str(staging)) as con:
            if warehouse.is_postgres():
                tables, rows = _copy_from_postgres(con, target.parent)
            else:
                con.execute(f"attach '{_sql_literal(home.warehouse)}' as {WAREHOUSE_ALIAS} (read_only)")
                tables = _tables_to_publish(con)
                rows = 0
                for schema, table in tables:
                    rows += _copy_table(con, schema, table)
                con.execute(f"detach {WAREHOUSE_ALIAS}")
            _write_refresh(con, refreshed_at, run_id, tables)
            con.execute("checkpoint")
        with open(staging, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    return Publication(target, len(tables), rows, refreshed_at, time.monotonic() - started)


def _tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    wanted = [("marts", table) for table in table_names(con, "marts", catalog=WAREHOUSE_ALIAS)]
    return wanted + [(schema, table) for schema, table in EXTRA_TABLES
                     if table_exists(con, schema, table, catalog=WAREHOUSE_ALIAS)]


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    columns = set(column_names(con, schema, table, catalog=WAREHOUSE_ALIAS))
    sort = [key for key in SORT_KEYS if key in columns]
    target = f'"{schema}"'
    con.execute(f"create schema if not exists {target}")
    con.execute(
        f'create table {target}."{table}" as select * from {WAREHOUSE_ALIAS}."{schema}"."{table}"'
        + (f" order by {', '.join(sort)}" if sort else ""))
    return con.execute(f'select count(*) from {target}."{table}"').fetchone()[0]


def _copy_from_postgres(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[list[tuple[str, str]], int]:
    with warehouse.connect_postgres_read_only() as pg:
        tables = [("marts", table) for table in table_names(pg, "marts")]
        tables += [(schema, table) for schema, table in EXTRA_TABLES if table_exists(pg, schema, table)]
        rows = 0
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            sort = [key for key in SORT_KEYS if key in column_names(pg, schema, table)]
            rows += warehouse.copy_table_from_postgres(pg, con, schema, table, folder, order_by=sort)
    return tables, rows


def _write_refresh(con, refreshed_at: datetime, run_id: str | None, tables: list[tuple[str, str]]) -> None:
    data_as_of = None
    if ("marts", "health_score_current") in tables:
        data_as_of = con.execute("select max(as_of_date) from marts.health_score_current").fetchone()[0]
    target = "publication"
    con.execute(f"create schema {target}")
    con.execute(f"create table {target}.refresh (refreshed_at timestamptz, data_as_of date, run_id varchar, "
                "tables integer)")
    con.execute(f"insert into {target}.refresh values (?, ?, ?, ?)", [refreshed_at, data_as_of, run_id, len(tables)])


def _sql_literal(path: Path) -> str:
    return str(path).replace("'", "''")
