"""The whole demo on PostgreSQL (CS360_WAREHOUSE=postgres) gives the marts of the DuckDB run.

The XS world goes through `cs360 demo` twice, as a user runs it: once on the default DuckDB
file, once on a throw-away PostgreSQL database on 127.0.0.1:5432 (dlt's postgres
destination, dbt-postgres, the Python steps through cs360_core.warehouse). Every table of
`marts` must then hold the same rows on both: numbers equal to 2 decimals, timestamps
to the second, text exactly; the columns in TOLERATED (with the reason) within a tolerance.
While the PostgreSQL run writes, this process keeps reading its marts: each read succeeds.
"""

from __future__ import annotations

import decimal
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.services import postgres_listening, throwaway_postgres_database

pytestmark = pytest.mark.slow  # two demos of the XS world: several minutes on two busy cores

# Columns that may differ by at most a tolerance, with why. None: PostgreSQL's round of a
# float rounds its exact binary value like DuckDB's (macros/portable/functions.sql), and
# every ratio divides as floats on both engines.
TOLERATED: dict[tuple[str, str], tuple[float, str]] = {}


def _skip_reason() -> str | None:
    for module in ("psycopg2", "dbt.adapters.postgres"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[postgres]')"
    return None if postgres_listening() else "no PostgreSQL on 127.0.0.1:5432"


@pytest.fixture(scope="module")
def postgres_url():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with throwaway_postgres_database("cs360_equal") as url:
        yield url


def _demo(world: Path, home: Path, **env: str) -> subprocess.Popen:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("CS360_", "DAGSTER_", "DBT_"))}
    environment.update({"CS360_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
                        "CS360_DUCKDB_MEMORY_LIMIT": "1GB", "PYTHONUNBUFFERED": "1", **env})
    log = open(home.parent / f"{home.name}.log", "w")  # noqa: SIM115 - closed with the process below
    process = subprocess.Popen([sys.executable, "-m", "cs360.cli", "demo", "--world", str(world)],
                               env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=home.parent)
    process.log_path = home.parent / f"{home.name}.log"
    process.log_file = log
    return process


def _finish(process: subprocess.Popen) -> str:
    process.wait(timeout=1800)
    process.log_file.close()
    output = process.log_path.read_text()
    assert process.returncode == 0, output[-6000:]
    return output


class Reader(threading.Thread):
    """Reads the marts while a run writes: counts successful reads and keeps any error."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.reads, self.errors = url, threading.Event(), 0, []

    def run(self) -> None:
        import psycopg2

        while not self.stop.wait(1.0):
            try:
                with psycopg2.connect(self.url, connect_timeout=5) as con, con.cursor() as cursor:
                    cursor.execute("select to_regclass('marts.health_scores') is not null")
                    if cursor.fetchone()[0]:
                        cursor.execute("select count(*), max(as_of_date) from marts.health_scores")
                        cursor.fetchone()
                        self.reads += 1
                con.close()
            except Exception as error:  # noqa: BLE001 - every failed read is reported
                self.errors.append(repr(error))


@pytest.fixture(scope="module")
def runs(tiny_world, tmp_path_factory, postgres_url):
    root = tmp_path_factory.mktemp("engines")
    duck = _demo(tiny_world, root / "duckdb_home")
    started = time.monotonic()
    pg = _demo(tiny_world, root / "postgres_home", CS360_WAREHOUSE="postgres", CS360_POSTGRES_URL=postgres_url)
    reader = Reader(postgres_url)
    reader.start()
    try:
        pg_output = _finish(pg)
    finally:
        reader.stop.set()
        reader.join()
    pg_seconds = time.monotonic() - started
    _finish(duck)
    print(f"\nboth demos done in {time.monotonic() - started:.0f} s (PostgreSQL run {pg_seconds:.0f} s); "
          f"{reader.reads} reads of marts.health_scores during the PostgreSQL run")
    return {"duckdb": root / "duckdb_home" / "warehouse.duckdb", "postgres": postgres_url,
            "reader": reader, "pg_output": pg_output}


def _duckdb_marts(path: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        tables = [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {table: con.execute(f'select * from marts."{table}"').df() for table in tables}


def _postgres_marts(url: str, tables: list[str]) -> dict[str, pd.DataFrame]:
    import psycopg2

    frames = {}
    with psycopg2.connect(url, options="-c TimeZone=UTC") as con, con.cursor() as cursor:
        for table in tables:
            cursor.execute(f'select * from marts."{table}"')
            frames[table] = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    con.close()
    return frames


def _comparable(value):
    """One spelling per value on both engines: numbers to 2 decimals, instants in UTC to the second."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)) or hasattr(value, "dtype"):
        try:
            return round(float(value), 2) + 0.0  # -0.0 and 0.0 alike
        except (TypeError, ValueError):
            pass
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.floor("s").isoformat()
    return str(value)


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    rows = [tuple(_comparable(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)]
    return sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row))


def _mismatch(table: str, frame: pd.DataFrame, other: pd.DataFrame) -> str | None:
    tolerated = [c for c in frame.columns if (table, c) in TOLERATED]
    exact = [c for c in frame.columns if c not in tolerated]
    if _rows(frame, exact) != _rows(other, exact):
        return f"{table}: {[c for c in exact if _rows(frame, [c]) != _rows(other, [c])] or 'row pairing'}"
    # the same rows on the exact columns: pair them by those, then compare within the tolerance
    mine, theirs = (_rows(f, exact + tolerated) for f in (frame, other))
    for column_index, column in enumerate(tolerated, start=len(exact)):
        tolerance = TOLERATED[(table, column)][0]
        for a, b in zip(mine, theirs, strict=True):
            if (a[column_index] is None) != (b[column_index] is None) or (
                    a[column_index] is not None and abs(a[column_index] - b[column_index]) > tolerance):
                return f"{table}.{column}: {a[column_index]} on DuckDB, {b[column_index]} on PostgreSQL"
    return None


def test_every_mart_matches_the_duckdb_run(runs) -> None:
    duck = _duckdb_marts(runs["duckdb"])
    pg = _postgres_marts(runs["postgres"], list(duck))
    assert len(duck) >= 8 and "health_scores" in duck and "churn_predictions" in duck
    mismatches = []
    for table, frame in duck.items():
        other = pg[table]
        assert list(other.columns) == list(frame.columns), table
        assert len(frame) == len(other), f"{table}: {len(frame)} rows on DuckDB, {len(other)} on PostgreSQL"
        mismatch = _mismatch(table, frame, other)
        if mismatch:
            mismatches.append(mismatch)
    assert not mismatches, "marts differing between DuckDB and PostgreSQL:\n" + "\n".join(mismatches)


def test_scores_and_predictions_are_not_empty(runs) -> None:
    pg = _postgres_marts(runs["postgres"], ["health_scores", "churn_predictions", "customer_360"])
    assert pg["health_scores"]["health_score"].notna().sum() > 0
    assert len(pg["churn_predictions"]) == len(pg["health_scores"])
    assert len(pg["customer_360"]) > 0


def test_reads_during_the_postgres_run_succeed(runs) -> None:
    reader = runs["reader"]
    assert reader.errors == []
    assert reader.reads >= 10
