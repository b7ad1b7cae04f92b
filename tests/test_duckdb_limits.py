"""DuckDB's memory bound (`CS360_DUCKDB_MEMORY_LIMIT`) reaches every engine that opens the
warehouse: dlt's destination, dbt's profile, and the Python steps (reverse ETL, alerts,
learning, status). Each is asked through its own connection with `current_setting`."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import duckdb
import pytest

from cs360_core import duckdb_limits
from cs360_core.settings import Home, resolve_home

REPO = Path(__file__).resolve().parents[1]
SETTINGS_SQL = "select current_setting('memory_limit'), current_setting('temp_directory')"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("CS360_DUCKDB_MEMORY_LIMIT", "512MiB")
    return resolve_home(tmp_path / "home")


def test_the_limit_comes_from_the_environment_with_a_default(monkeypatch):
    monkeypatch.delenv("CS360_DUCKDB_MEMORY_LIMIT", raising=False)
    assert duckdb_limits.memory_limit() == "3GB"
    monkeypatch.setenv("CS360_DUCKDB_MEMORY_LIMIT", " 1500MB ")
    assert duckdb_limits.memory_limit() == "1500MB"
    for bad in ("3", "lots", "3 GB; drop table x", "-1GB"):
        monkeypatch.setenv("CS360_DUCKDB_MEMORY_LIMIT", bad)
        with pytest.raises(ValueError, match="CS360_DUCKDB_MEMORY_LIMIT=.* is not a size DuckDB understands"):
            duckdb_limits.memory_limit()


def test_python_connections_get_the_limit_and_spill_inside_the_home(home):
    with duckdb_limits.connect(home.warehouse) as con:
        assert con.execute(SETTINGS_SQL).fetchone() == ("512.0 MiB", f"{home.warehouse}.tmp")
    with duckdb_limits.connect(home.warehouse, read_only=True) as con:
        assert con.execute(SETTINGS_SQL).fetchone() == ("512.0 MiB", f"{home.warehouse}.tmp")


def test_a_connection_after_a_spill_opens(home, monkeypatch):
    # DuckDB refuses to set temp_directory again once a connection has spilled there, even
    # to the same value: every later connection that set it (dbt opens many) would fail
    monkeypatch.setenv("CS360_DUCKDB_MEMORY_LIMIT", "20MB")
    with duckdb_limits.connect(home.warehouse) as first:
        first.execute("set threads = 1")
        first.execute("create table t as select i, md5(i::varchar) as s from range(300000) t(i)")
        assert first.execute("select count(*) from (select s, count(*) from t group by s)").fetchone() == (300000,)
        assert Path(f"{home.warehouse}.tmp").is_dir()  # it did spill, inside the home
        with duckdb_limits.connect(home.warehouse) as second:
            assert second.execute(SETTINGS_SQL).fetchone() == ("19.0 MiB", f"{home.warehouse}.tmp")


def test_status_reads_with_the_limit(home):
    from cs360.report import warehouse

    duckdb.connect(str(home.warehouse)).close()
    with warehouse(home) as con:
        assert con.execute(SETTINGS_SQL).fetchone() == ("512.0 MiB", f"{home.warehouse}.tmp")


def test_dlt_destination_connections_get_the_limit(home):
    from pipelines.warehouse import warehouse_pipeline

    pipeline = warehouse_pipeline("limits_probe", home)
    pipeline.run([{"id": 1}], table_name="probe")
    with pipeline.sql_client() as client:
        assert client.execute_sql(SETTINGS_SQL) == [("512.0 MiB", f"{home.warehouse}.tmp")]
        assert client.execute_sql("select count(*) from raw_limits_probe.probe") == [(1,)]


def test_dbt_connections_get_the_limit(home, tmp_path):
    from dbt.cli.main import dbtRunner

    # the project's own profile (profiles.yml) with a one-file project: parsing the real
    # project would cost half a minute and test nothing more about the connection
    project = tmp_path / "probe_project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: probe\nversion: '1.0'\nconfig-version: 2\nprofile: cs360\n")
    result = dbtRunner().invoke([
        "show", "--inline", SETTINGS_SQL, "--project-dir", str(project), "--profiles-dir", str(REPO / "dbt_project"),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--quiet"])
    assert result.success, result.exception
    [row] = result.result.results[0].agate_table.rows
    assert tuple(row) == ("512.0 MiB", f"{home.warehouse}.tmp")


def test_alert_delivery_runs_with_the_limit(home):
    from werkzeug.serving import make_server

    from reverse_etl.alerts import deliver_alerts
    from retry_support import fast_policy
    from sandbox.doubles.server import _QuietHandler
    from sandbox.doubles.webhook import WebhookDouble

    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema marts; create table marts.alerts as select 'A-1' as alert_id, 'C-1' as account_id, "
                    "'usage_drop' as kind, timestamp '2025-06-01' as created_at, 'logins -60%' as details")
    hook = WebhookDouble()
    server = make_server("127.0.0.1", 0, hook, threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    seen = []
    try:
        def probe(row):  # a second connection in this process shares the delivery's database instance
            with duckdb.connect(str(home.warehouse)) as con:
                seen.append(con.execute(SETTINGS_SQL).fetchone())

        run = deliver_alerts(home, url=f"http://127.0.0.1:{server.server_port}{hook.path}", policy=fast_policy(),
                             log=lambda line: None, after_post=probe)
    finally:
        server.shutdown()
        server.server_close()
    assert run.delivered == 1
    assert seen == [("512.0 MiB", f"{home.warehouse}.tmp")]


def _bare_warehouse_connects(path: Path) -> list[int]:
    """Lines calling `duckdb.connect(...)` on something named like the warehouse."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "duckdb"
                and node.args and "warehouse" in ast.unparse(node.args[0])):
            lines.append(node.lineno)
    return lines


def test_no_engine_opens_the_warehouse_without_the_limit():
    # the lock probe only opens and closes the file, to see whether another process holds it
    allowed = {"cs360_core/duckdb_limits.py", "cs360_core/warehouse_lock.py"}
    found = {}
    for folder in ("cs360", "pipelines", "reverse_etl", "learning", "orchestration"):
        for path in (REPO / folder).rglob("*.py"):
            relative = path.relative_to(REPO).as_posix()
            if relative not in allowed and (lines := _bare_warehouse_connects(path)):
                found[relative] = lines
    assert found == {}
