"""DuckDB's memory bound: one setting for every engine that opens the warehouse.

DuckDB takes 80 % of the machine's RAM unless told otherwise, per process; dlt's load,
dbt's build and the Python steps each open their own. `CS360_DUCKDB_MEMORY_LIMIT`
(default 3GB) bounds each of them, and what does not fit spills to DuckDB's default
`<database>.tmp`, next to the database inside the home. That folder is deliberately not
set: DuckDB refuses to set it again, even to the same value, once a connection of the
process has spilled, and dlt and dbt set their settings on every connection they open.
dbt reads the same variable in `dbt_project/profiles.yml`.
"""

from __future__ import annotations

import os
import re

import duckdb

MEMORY_LIMIT_ENV = "CS360_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"
# DuckDB's size units (decimal and binary); a bare number is not accepted, to avoid bytes by accident
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def memory_limit() -> str:
    """The limit from the environment, checked; read at call time, so a run sees its own."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    if not _SIZE.match(value):
        raise ValueError(f"{MEMORY_LIMIT_ENV}={value!r} is not a size DuckDB understands, such as 3GB or 1500MB")
    return value


def duckdb_config() -> dict[str, str]:
    """Settings for a connection to the warehouse."""
    return {"memory_limit": memory_limit()}


def apply_limits(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Set the bound on an open connection. SET rather than `connect(config=...)`: DuckDB
    refuses a second connection to one file with a different connect config, and dlt opens
    its own without one."""
    for name, value in duckdb_config().items():
        con.execute(f"set {name} = '{value}'")  # checked by memory_limit(), not free text
    return con


def connect(database: str | os.PathLike, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect` with the memory bound set (it spills to `<database>.tmp`)."""
    memory_limit()  # a bad value fails before the database is opened
    con = duckdb.connect(str(database), read_only=read_only)
    try:
        return apply_limits(con)
    except BaseException:
        con.close()
        raise
