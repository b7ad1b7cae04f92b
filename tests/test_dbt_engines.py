"""The dbt project compiles for every engine it targets: DuckDB, PostgreSQL and Spark.

Each engine gets its own empty home and runs `dbt compile` of every model and test; on
DuckDB and PostgreSQL the seeds are loaded first (their column types are per engine, and
the alerts model then reads its rule windows from a seed). Loading seeds on local Spark
takes minutes, so there the compile runs without them. A compile error (Jinja, a macro
without an implementation for the adapter, a failed introspection query) fails the test.
The raw schemas do not exist, so source_or_empty renders its typed empty relations.

PostgreSQL runs in a throw-away database on 127.0.0.1:5432; Spark runs locally through
pyspark in session mode (Java). Each is skipped with the reason when its adapter or
service is absent. The result on DuckDB is checked by test_dbt_project.py, which builds
the project.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import postgres_listening, throwaway_postgres_database

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"
DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"


def _missing(*modules: str) -> str | None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[warehouses]')"
    return None


def _skip_reason(engine: str) -> str | None:
    if engine == "postgres":
        return _missing("dbt.adapters.postgres", "psycopg2") or (
            None if postgres_listening() else "no PostgreSQL on 127.0.0.1:5432")
    if engine == "spark":
        return _missing("dbt.adapters.spark", "pyspark") or (
            None if shutil.which("java") or os.environ.get("JAVA_HOME") else "no Java for pyspark")
    return None


@pytest.fixture
def postgres_database():
    """A database of its own, dropped afterwards."""
    with throwaway_postgres_database("cs360_compile") as url:
        yield url


def _dbt(home: Path, engine: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-c", DBT_MAIN, *args,
        "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
        "--target-path", str(home / "target"), "--log-path", str(home / "logs"),
    ]
    return subprocess.run(command, env=env, cwd=home, capture_output=True, text=True, timeout=600)


def _models() -> set[str]:
    return {path.stem for path in (PROJECT / "models").rglob("*.sql")}


# A local Spark session (JVM start, Hive metastore, one catalog query per schema) takes
# minutes on two busy cores, so Spark is in the slow set (make test-slow). So is DuckDB: the
# default suite's test_dbt_project.py builds (compiles, runs and tests) every model there.
@pytest.mark.parametrize("engine", [pytest.param("duckdb", marks=pytest.mark.slow), "postgres",
                                    pytest.param("spark", marks=pytest.mark.slow)])
def test_project_compiles_on_engine(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    reason = _skip_reason(engine)
    if reason:
        pytest.skip(reason)
    env = {**os.environ, "CS360_HOME": str(tmp_path), "CS360_WAREHOUSE": engine,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           # local Spark binds its driver to the loopback address, not the machine's interface
           "SPARK_LOCAL_IP": "127.0.0.1"}
    if engine == "postgres":
        env["CS360_POSTGRES_URL"] = request.getfixturevalue("postgres_database")

    steps = [("compile",)] if engine == "spark" else [("seed",), ("compile",)]
    for args in steps:
        result = _dbt(tmp_path, engine, env, *args)
        assert result.returncode == 0, (
            f"dbt {args[0]} failed on {engine}:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
        assert f"target='{engine}'" in result.stdout

    # compiled models (YAML-defined tests compile under models/<folder>/<file>.yml/)
    compiled = {path.stem for path in (tmp_path / "target" / "compiled" / "cs360" / "models").rglob("*.sql")
                if path.parent.suffix != ".yml"}
    assert compiled == _models()
