"""What the warehouse holds: the one place that asks DuckDB's information schema.

A table that does not exist has no columns (an empty list), so callers that only need the
columns do not ask twice. `catalog` names an attached database; without it every catalog
of the connection is searched, as a bare `schema.table` reference would be.
"""

from __future__ import annotations

import duckdb


def _where(schema: str, catalog: str | None) -> tuple[str, list[str]]:
    if catalog is None:
        return "table_schema = ?", [schema]
    return "table_catalog = ? and table_schema = ?", [catalog, schema]


def table_names(con: duckdb.DuckDBPyConnection, schema: str, catalog: str | None = None) -> list[str]:
    """The tables and views of `schema`, sorted by name."""
    where, params = _where(schema, catalog)
    return [row[0] for row in con.execute(
        f"select distinct table_name from information_schema.tables where {where} order by 1", params).fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None) -> bool:
    where, params = _where(schema, catalog)
    return con.execute(
        f"select count(*) from information_schema.tables where {where} and table_name = ?",
        [*params, table]).fetchone()[0] > 0


def column_names(con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None) -> list[str]:
    """The columns of `schema.table` in their order; empty when the table does not exist."""
    where, params = _where(schema, catalog)
    return [row[0] for row in con.execute(
        f"select column_name from information_schema.columns where {where} and table_name = ? "
        "order by ordinal_position", [*params, table]).fetchall()]
