"""The warehouse, on the engine `CS360_WAREHOUSE` names (contract section 2).

`duckdb` (the default) is the file `<home>/warehouse.duckdb`; `postgres` is the database
of `CS360_POSTGRES_URL`, with the same schemas and tables. dlt's destination
(pipelines/warehouse.py) and dbt's target (dbt_project/profiles.yml) follow the same
setting. Python code reaches the warehouse in one of two ways:

- `connect(home)`: a connection for portable SQL (`?` parameters, information_schema,
  no DuckDB-only syntax), straight to the engine: row counts, `cs360 status`.
- `working_copy(home, reads=..., writes=...)`: a DuckDB connection, for the steps whose
  SQL and data frames are DuckDB's (learning, reverse ETL bookkeeping, alerts, the sync
  gates). On DuckDB it is the warehouse file itself. On PostgreSQL it is an in-process
  DuckDB holding a copy of the tables named in `reads`; when the block ends without an
  error, every table named in `writes` that changed is written back in one PostgreSQL
  transaction, so a reader sees the old rows or the new ones, never a mix. The copy costs
  one read of those tables per step: fine for the marts, which are per account and day.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from cs360_core import duckdb_limits
from cs360_core.settings import Home

ENGINE_ENV = "CS360_WAREHOUSE"
POSTGRES_URL_ENV = "CS360_POSTGRES_URL"
ENGINES = ("duckdb", "postgres", "spark")
# Every schema cs360 writes: dropped together when the demo starts another company's world.
OWN_SCHEMAS = ("raw_product", "raw_salesforce", "raw_hubspot", "raw_zendesk", "raw_freshdesk", "raw_surveys",
               "raw_training", "staging", "intermediate", "marts", "seeds", "learning", "reverse_etl")


class WarehouseNotConfigured(RuntimeError):
    """The engine setting or its connection settings are missing or wrong."""


def engine() -> str:
    """The configured engine, read when asked (a run sees its own environment)."""
    value = (os.environ.get(ENGINE_ENV) or "duckdb").strip().lower()
    if value not in ENGINES:
        raise WarehouseNotConfigured(f"{ENGINE_ENV}={value!r}: expected one of {', '.join(ENGINES)}")
    if value == "spark":
        raise WarehouseNotConfigured(
            f"{ENGINE_ENV}=spark: only the dbt project runs on Spark so far (docs/engines.md); ingest, learning "
            "and reverse ETL need duckdb or postgres")
    return value


def is_postgres() -> bool:
    return engine() == "postgres"


def postgres_url() -> str:
    """`CS360_POSTGRES_URL` as libpq takes it (a SQLAlchemy `+driver` part removed).
    The value is a secret: errors name the variable, never the value."""
    from sqlalchemy.engine import make_url

    raw = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not raw:
        raise WarehouseNotConfigured(f"{ENGINE_ENV}=postgres needs {POSTGRES_URL_ENV} "
                                     "(postgresql://user[:password]@host[:port]/database)")
    try:
        url = make_url(raw)
    except Exception:  # noqa: BLE001 - its message would repeat the value
        raise WarehouseNotConfigured(f"{POSTGRES_URL_ENV} is not a database URL") from None
    if url.get_backend_name() != "postgresql" or not url.database:
        raise WarehouseNotConfigured(f"{POSTGRES_URL_ENV} must be postgresql://…/<database>")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def exists(home: Home) -> bool:
    """Whether a warehouse is there to read (on PostgreSQL, the database always is)."""
    return is_postgres() or home.warehouse.exists()


def describe(home: Home) -> str:
    """Where the warehouse is, for messages: no credentials."""
    if not is_postgres():
        return str(home.warehouse)
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url())
    return f"PostgreSQL database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_connect(read_only: bool = False):
    import psycopg2

    try:
        # UTC day boundaries, as on DuckDB (contract section 4)
        raw = psycopg2.connect(postgres_url(), options="-c TimeZone=UTC", connect_timeout=10)
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "connection refused"
        raise WarehouseNotConfigured(f"cannot connect to the PostgreSQL warehouse ({POSTGRES_URL_ENV}): "
                                     f"{_without_secret(reason)}") from None
    raw.set_session(readonly=read_only)
    return raw


def _without_secret(text: str) -> str:
    secret = os.environ.get(POSTGRES_URL_ENV, "")
    return text.replace(secret, "<CS360_POSTGRES_URL>") if secret else text


class Result:
    """The rows of one statement, with DuckDB's result methods."""

    def __init__(self, cursor):
        self._cursor = cursor

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    def df(self):
        import pandas as pd

        columns = [column.name for column in self._cursor.description or ()]
        return pd.DataFrame(self._cursor.fetchall(), columns=columns)


class PostgresConnection:
    """A PostgreSQL connection that takes DuckDB's `?` parameters."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql: str, params: Sequence | None = None) -> Result:
        cursor = self.raw.cursor()
        if params:
            sql = sql.replace("%", "%%").replace("?", "%s")
        cursor.execute(sql, list(params) if params else None)
        return Result(cursor)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PostgresConnection:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self.raw.commit()
            else:
                self.raw.rollback()
        finally:
            self.raw.close()


def connect(home: Home, read_only: bool = False):
    """A connection for portable SQL: DuckDB's on the file, or PostgreSQL's. Use it as a
    context manager (it closes; on PostgreSQL it commits when the block succeeds)."""
    if is_postgres():
        return PostgresConnection(_pg_connect(read_only))
    return duckdb_limits.connect(home.warehouse, read_only=read_only)


def connect_postgres_read_only() -> PostgresConnection:
    return PostgresConnection(_pg_connect(read_only=True))


# --- the DuckDB working copy --------------------------------------------------------------


@contextmanager
def working_copy(home: Home, *, reads: Iterable[str] = (), writes: Iterable[str] = (),
                 read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection over the warehouse (see the module's docstring). `reads` and
    `writes` name schemas (`marts`) or tables (`marts.churn_predictions`); `writes`
    matters only on PostgreSQL and when not `read_only`."""
    if not is_postgres():
        with duckdb_limits.connect(home.warehouse, read_only=read_only) as con:
            yield con
        return
    scratch = home.root / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix="working_copy_") as folder, \
            duckdb.connect() as con, PostgresConnection(_pg_connect(read_only)) as pg:
        duckdb_limits.apply_limits(con)
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"set temp_directory = '{_literal(Path(folder) / 'spill')}'")
        writes = list(writes)
        for schema in {name.split(".")[0] for name in [*reads, *writes]}:
            con.execute(f'create schema if not exists "{schema}"')
        for schema, table in _pg_tables(pg, reads):
            copy_table_from_postgres(pg, con, schema, table, Path(folder))
        before = {key: _fingerprint(con, *key) for key in _local_tables(con, writes)}
        yield con
        if not read_only:
            for key in _local_tables(con, writes):
                if before.get(key) != _fingerprint(con, *key):
                    _write_table(con, pg, *key, Path(folder))


def _literal(value) -> str:
    return str(value).replace("'", "''")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _split(names: Iterable[str]) -> tuple[set[str], set[tuple[str, str]]]:
    schemas, tables = set(), set()
    for name in names:
        if "." in name:
            schema, table = name.split(".", 1)
            tables.add((schema, table))
        else:
            schemas.add(name)
    return schemas, tables


def _pg_tables(pg: PostgresConnection, names: Iterable[str]) -> list[tuple[str, str]]:
    """The existing tables and views named by `names`, in PostgreSQL."""
    schemas, tables = _split(names)
    found = pg.execute("select table_schema, table_name from information_schema.tables "
                       "where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2").fetchall()
    return [(s, t) for s, t in found if s in schemas or (s, t) in tables]


def _local_tables(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> list[tuple[str, str]]:
    schemas, tables = _split(names)
    found = con.execute("select schema_name, table_name from duckdb_tables() "
                        "where database_name = current_database() and not temporary order by 1, 2").fetchall()
    return [(s, t) for s, t in found if s in schemas or (s, t) in tables]


def _fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple:
    columns = con.execute("select column_name, data_type from duckdb_columns() where database_name = "
                          "current_database() and schema_name = ? and table_name = ? order by column_index",
                          [schema, table]).fetchall()
    rows = con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {_quoted(schema)}.{_quoted(table)} as t"
                       ).fetchone()
    return tuple(columns), rows


# PostgreSQL type (information_schema data_type) -> DuckDB type; anything else is read as text.
_FROM_PG = {
    "text": "VARCHAR", "character varying": "VARCHAR", "character": "VARCHAR", "name": "VARCHAR",
    "smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT",
    "real": "FLOAT", "double precision": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp with time zone": "TIMESTAMPTZ", "timestamp without time zone": "TIMESTAMP",
    "time without time zone": "TIME", "uuid": "UUID",
}


def _duckdb_type(data_type: str, precision: int | None, scale: int | None) -> str:
    if data_type == "numeric":
        # unsized numeric (dbt's cast to numeric, round()) has no DuckDB equivalent: a double
        return f"DECIMAL({precision}, {scale or 0})" if precision and precision <= 38 else "DOUBLE"
    return _FROM_PG.get(data_type, "VARCHAR")


def copy_table_from_postgres(pg: PostgresConnection, con: duckdb.DuckDBPyConnection, schema: str, table: str,
                             folder: Path, *, target: str | None = None, order_by: Sequence[str] = ()) -> int:
    """Copies `schema.table` of PostgreSQL into the DuckDB connection (as `target`, by
    default the same name), through a CSV file in `folder`; returns the rows copied."""
    columns = pg.execute(
        "select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
    target = target or f"{_quoted(schema)}.{_quoted(table)}"
    types = {name: _duckdb_type(data_type, precision, scale) for name, data_type, precision, scale in columns}
    con.execute(f"create table {target} ({', '.join(f'{_quoted(n)} {t}' for n, t in types.items())})")
    selected = ", ".join(_quoted(n) for n in types)
    order = f" order by {', '.join(_quoted(c) for c in order_by)}" if order_by else ""
    path = folder / f"{schema}.{table}.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        pg.raw.cursor().copy_expert(
            f"copy (select {selected} from {_quoted(schema)}.{_quoted(table)}{order}) to stdout "
            "with (format csv)", out)
    try:
        if path.stat().st_size == 0:
            return 0
        csv_columns = ", ".join(f"'{_literal(n)}': '{t}'" for n, t in types.items())
        # PostgreSQL writes NULL unquoted and an empty string as "": keep them apart
        con.execute(f"insert into {target} select * from read_csv('{_literal(path)}', columns = {{{csv_columns}}}, "
                    "header = false, auto_detect = false, quote = '\"', escape = '\"', allow_quoted_nulls = false)")
        return con.execute(f"select count(*) from {target}").fetchone()[0]
    finally:
        path.unlink(missing_ok=True)


def _pg_type(duckdb_type: str) -> tuple[str, bool]:
    """DuckDB type -> (PostgreSQL type, whether the value is sent as text)."""
    upper = duckdb_type.upper()
    simple = {"VARCHAR": "text", "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint",
              "INTEGER": "integer", "BIGINT": "bigint", "UTINYINT": "integer", "USMALLINT": "integer",
              "UINTEGER": "bigint", "UBIGINT": "numeric", "HUGEINT": "numeric", "FLOAT": "real",
              "DOUBLE": "double precision", "DATE": "date", "TIMESTAMP": "timestamp", "TIME": "time",
              "TIMESTAMP WITH TIME ZONE": "timestamptz", "UUID": "uuid", "INTERVAL": "interval"}
    if upper in simple:
        return simple[upper], False
    if upper.startswith("DECIMAL"):
        return upper.replace("DECIMAL", "numeric"), False
    return "text", True  # lists, structs, JSON: their text form


def _write_table(con: duckdb.DuckDBPyConnection, pg: PostgresConnection, schema: str, table: str,
                 folder: Path) -> None:
    """Replaces the PostgreSQL table by the DuckDB one, inside the open transaction."""
    columns = con.execute("select column_name, data_type from duckdb_columns() where database_name = "
                          "current_database() and schema_name = ? and table_name = ? order by column_index",
                          [schema, table]).fetchall()
    wanted = [(name, *_pg_type(data_type)) for name, data_type in columns]
    existing = pg.execute("select column_name from information_schema.columns where table_schema = ? and "
                          "table_name = ? order by ordinal_position", [schema, table]).fetchall()
    name = f"{_quoted(schema)}.{_quoted(table)}"
    pg.execute(f"create schema if not exists {_quoted(schema)}")
    if [row[0] for row in existing] == [column for column, _, _ in wanted]:
        pg.execute(f"delete from {name}")  # not truncate: readers keep the old rows until the commit
    else:
        pg.execute(f"drop table if exists {name}")
        pg.execute(f"create table {name} ({', '.join(f'{_quoted(c)} {t}' for c, t, _ in wanted)})")
    path = folder / f"out.{schema}.{table}.csv"
    selected = ", ".join(f"{_quoted(c)}::varchar" if as_text else _quoted(c) for c, _, as_text in wanted)
    con.execute(f"copy (select {selected} from {name}) to '{_literal(path)}' (format csv, header false)")
    try:
        with open(path, encoding="utf-8") as rows:
            pg.raw.cursor().copy_expert(
                f"copy {name} ({', '.join(_quoted(c) for c, _, _ in wanted)}) from stdin with (format csv)", rows)
    finally:
        path.unlink(missing_ok=True)


def drop_own_schemas(home: Home) -> None:
    """Empties the warehouse of everything cs360 wrote (another company's world is next)."""
    if not is_postgres():
        home.warehouse.unlink(missing_ok=True)
        return
    with connect(home) as pg:
        found = {row[0] for row in pg.execute("select schema_name from information_schema.schemata").fetchall()}
        # dlt adds `<dataset>_staging` schemas for merges beside the raw datasets
        for schema in sorted(s for s in found if s in OWN_SCHEMAS or s.startswith("raw_")):
            pg.execute(f"drop schema {_quoted(schema)} cascade")
