"""The XS world built on Spark gives the same marts as on DuckDB.

The raw tables of the XS world are written to a DuckDB warehouse (tests/dbt_raw_fixture.py),
then exported as Parquet with dlt's filesystem destination (pipelines/parquet_raw.py), the
layout Spark reads its raw layer from. `dbt build` (seeds, models, every test) runs on both:
DuckDB on the warehouse file, Spark locally through pyspark in session mode, its tables
under $CS360_HOME/spark/warehouse. Every mart is then compared row for row: same columns
(by name: Spark stores a partition column last), same rows, numbers equal to 2 decimals,
timestamps as UTC instants.

Slow (a JVM, a Hive metastore and a few hundred Spark statements): `make test-slow`.
Skipped with the reason when dbt-spark, pyspark or Java is absent.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.parquet_raw import export_raw_schemas

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"
DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"
MARTS = sorted(path.stem for path in (PROJECT / "models" / "marts").glob("*.sql"))

_spec = importlib.util.spec_from_file_location("dbt_raw_fixture", Path(__file__).with_name("dbt_raw_fixture.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

pytestmark = pytest.mark.slow


def _skip_reason() -> str | None:
    for module in ("dbt.adapters.spark", "pyspark"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java for pyspark (Java 17)"
    return None


def _build(home: Path, engine: str, **extra_env: str) -> float:
    env = {**os.environ, "CS360_HOME": str(home), "CS360_WAREHOUSE": engine,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra_env}
    command = [sys.executable, "-c", DBT_MAIN, "build",
               "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
               "--target-path", str(home / "target"), "--log-path", str(home / "logs")]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=home, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, f"dbt build failed on {engine}:\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def homes(tiny_world, tmp_path_factory) -> tuple[Path, Path]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    duck, spark = tmp_path_factory.mktemp("duckdb_home"), tmp_path_factory.mktemp("spark_home")
    fx.write_raw_from_world(tiny_world, duck / "warehouse.duckdb")
    raw_url = str(spark / "spark" / "raw")
    export_raw_schemas(duck / "warehouse.duckdb", raw_url, spark / "dlt")
    seconds = {
        "duckdb": _build(duck, "duckdb"),
        "spark": _build(spark, "spark", CS360_SPARK_RAW_URL=raw_url, SPARK_LOCAL_IP="127.0.0.1"),
    }
    print(f"dbt build of the XS world: duckdb {seconds['duckdb']:.0f} s, spark {seconds['spark']:.0f} s")
    return duck, spark


def _comparable(value):
    """One cell in a form both engines agree on: numbers to 2 decimals, instants in UTC."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (float, Decimal)):
        value = float(value)
        return None if math.isnan(value) else round(value, 2) + 0.0
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return float(value)
    return value


def _rows(connection: duckdb.DuckDBPyConnection, relation: str) -> tuple[list[str], list[tuple]]:
    """Columns by name (Spark stores a partition column last), rows sorted."""
    result = connection.execute(f"select * from {relation}")
    names = [column[0].lower() for column in result.description]
    order = sorted(range(len(names)), key=names.__getitem__)
    rows = sorted((tuple(_comparable(row[i]) for i in order) for row in result.fetchall()), key=repr)
    return [names[i] for i in order], rows


@pytest.mark.parametrize("mart", MARTS)
def test_mart_on_spark_equals_duckdb(homes, mart: str) -> None:
    duck, spark = homes
    # a Spark table is a folder of Parquet files under <warehouse>/<schema>.db/<table>,
    # one sub-folder per value of a partition column (<column>=<value>)
    folder = spark / "spark" / "warehouse" / "marts.db" / mart
    assert list(folder.rglob("*.parquet")), f"no Parquet files for marts.{mart} in {folder}"
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        expected_columns, expected = _rows(connection, f"marts.{mart}")
        columns, rows = _rows(connection, f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)")
    assert columns == expected_columns
    assert len(rows) == len(expected)
    differing = [(a, b) for a, b in zip(expected, rows, strict=True) if a != b]
    assert not differing, f"marts.{mart}: {len(differing)} rows differ, e.g. duckdb {differing[0][0]} spark {differing[0][1]}"
