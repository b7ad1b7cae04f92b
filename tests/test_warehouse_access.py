"""cs360_core.warehouse: the engine setting, and the PostgreSQL side of the access layer.

The working copy is checked against a real PostgreSQL database of its own (skipped with
the reason when none listens on 127.0.0.1:5432): values of every column type the marts
use survive the trip both ways, NULL stays apart from the empty string, only changed
tables are written back, and a failed step writes nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
from pathlib import Path

import pytest

from cs360_core import warehouse
from cs360_core.settings import Home
from tests.services import postgres_listening, throwaway_postgres_database


def test_duckdb_is_the_default(monkeypatch) -> None:
    monkeypatch.delenv("CS360_WAREHOUSE", raising=False)
    assert warehouse.engine() == "duckdb"
    monkeypatch.setenv("CS360_WAREHOUSE", " Postgres ")
    assert warehouse.engine() == "postgres"


@pytest.mark.parametrize("value, message", [
    ("oracle", "CS360_WAREHOUSE='oracle': expected one of duckdb, postgres, spark"),
    ("spark", "CS360_WAREHOUSE=spark: only the dbt project runs on Spark so far"),
])
def test_an_engine_the_python_steps_cannot_use_is_refused(monkeypatch, value: str, message: str) -> None:
    monkeypatch.setenv("CS360_WAREHOUSE", value)
    with pytest.raises(warehouse.WarehouseNotConfigured) as refused:
        warehouse.engine()
    assert str(refused.value).startswith(message)


def test_the_postgres_url_is_required_and_never_repeated(monkeypatch) -> None:
    monkeypatch.setenv("CS360_WAREHOUSE", "postgres")
    monkeypatch.delenv("CS360_POSTGRES_URL", raising=False)
    with pytest.raises(warehouse.WarehouseNotConfigured, match="needs CS360_POSTGRES_URL"):
        warehouse.postgres_url()
    monkeypatch.setenv("CS360_POSTGRES_URL", "mysql://u:s3cret-pw@db/x")
    with pytest.raises(warehouse.WarehouseNotConfigured) as refused:
        warehouse.postgres_url()
    assert "s3cret-pw" not in str(refused.value)
    monkeypatch.setenv("CS360_POSTGRES_URL", "postgresql+psycopg2://u:s3cret-pw@db:5433/cs")
    assert warehouse.postgres_url() == "postgresql://u:s3cret-pw@db:5433/cs"
    assert warehouse.describe(Home(Path("unused"))) == "PostgreSQL database cs on db:5433"


@pytest.fixture(scope="module")
def postgres_home(tmp_path_factory, module_env):
    if not postgres_listening():
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    with throwaway_postgres_database("cs360_access") as url:
        os.environ["CS360_WAREHOUSE"] = "postgres"
        os.environ["CS360_POSTGRES_URL"] = url
        home = Home(tmp_path_factory.mktemp("home"))
        with warehouse.connect(home) as pg:
            pg.execute("create schema marts")
            pg.execute("create table marts.scores (account_id text, note text, score numeric(5, 2), share double "
                       "precision, n integer, flag boolean, as_of_date date, scored_at timestamptz, ratio numeric)")
            pg.execute("insert into marts.scores values ('a,\"1', '', 71.25, 0.5, 3, true, '2026-10-31', "
                       "'2026-10-31 23:30:00+02', 0.125), ('a2', null, null, null, null, null, null, null, null)")
            pg.execute("create view marts.red as select account_id from marts.scores where score < 50")
        yield home


def test_a_working_copy_reads_postgres_values_unchanged(postgres_home) -> None:
    with warehouse.working_copy(postgres_home, reads=["marts"], read_only=True) as con:
        rows = con.execute("select * from marts.scores order by account_id").fetchall()
        assert con.execute("select count(*) from marts.red").fetchone()[0] == 0
    assert rows == [
        ('a,"1', "", decimal.Decimal("71.25"), 0.5, 3, True, dt.date(2026, 10, 31),
         dt.datetime(2026, 10, 31, 21, 30, tzinfo=dt.timezone.utc), 0.125),
        ("a2", None, None, None, None, None, None, None, None),
    ]


def test_changed_tables_are_written_back_and_unchanged_ones_left_alone(postgres_home) -> None:
    with warehouse.connect(postgres_home) as pg:
        pg.execute("create schema if not exists learning")
        pg.execute("create table learning.kept (n integer)")
        pg.execute("insert into learning.kept values (1)")
        oid_before = pg.execute("select xmin::text from learning.kept").fetchone()[0]
    with warehouse.working_copy(postgres_home, reads=["learning"], writes=["learning"]) as con:
        con.execute("create table learning.versions as select 'v1' as version, [1, 2] as days, "
                    "timestamptz '2026-01-02 03:04:05+00' as fit_at, '' as empty")
    with warehouse.connect(postgres_home, read_only=True) as pg:
        assert pg.execute("select * from learning.versions").fetchall() == [
            ("v1", "[1, 2]", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), "")]
        assert pg.execute("select xmin::text from learning.kept").fetchone()[0] == oid_before  # not rewritten


def test_a_failed_step_writes_nothing(postgres_home) -> None:
    with pytest.raises(RuntimeError, match="model failed"):
        with warehouse.working_copy(postgres_home, reads=["marts.scores"], writes=["marts.scores"]) as con:
            con.execute("delete from marts.scores")
            raise RuntimeError("model failed")
    with warehouse.connect(postgres_home, read_only=True) as pg:
        assert pg.execute("select count(*) from marts.scores").fetchone()[0] == 2
