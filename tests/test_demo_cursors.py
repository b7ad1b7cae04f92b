"""`cs360 demo` on one home, a world cut a day earlier and then the full world: the second
run starts a new sandbox (new ports, new tokens) yet asks every API source only for what
changed, from the cursors the first run stored."""

from __future__ import annotations

import datetime as dt
import json
import os
from urllib.parse import parse_qsl

import duckdb
import pyarrow.parquet as pq
import pytest

from cs360.demo import run_demo
from cs360_core.settings import resolve_home
from sandbox.world.cut import cut_world, day_later
from sandbox.world.format import event_files, read_meta

EPOCH = "1970-01-01T00:00:00Z"


@pytest.fixture
def home(tmp_path, monkeypatch):
    saved = dict(os.environ)  # run_demo exports the sandbox's endpoints into this process
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home" / "dagster"))
    yield resolve_home(tmp_path / "home")
    os.environ.clear()
    os.environ.update(saved)


def logged_requests(home) -> list[dict]:
    return [json.loads(line) for line in (home.sandbox_dir / "requests.jsonl").read_text().splitlines()]


def first(entries: list[dict], vendor: str, path_part: str) -> dict:
    return next(e for e in entries if e["vendor"] == vendor and path_part in e["path"])


def params(entry: dict) -> dict:
    return dict(parse_qsl(entry["query"]))


def newest_seconds(home, table: str) -> str:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        newest = con.execute(f"select max(updated_at) from {table}").fetchone()[0]
    return newest.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.slow  # two demo ingests of the XS world: about a minute on an idle machine, minutes on a busy one
def test_a_demo_on_the_next_days_world_sends_the_stored_cursors(tiny_world, tmp_path, home, capsys):
    as_of = dt.date.fromisoformat(read_meta(tiny_world)["as_of"])
    day_before = tmp_path / "day-before"
    cut_world(tiny_world, day_before, as_of - dt.timedelta(days=1))
    later = tmp_path / "day-later"  # the full world, its event folder grown by the new day's file
    day_later(day_before, tiny_world, later)
    new_day = pq.ParquetFile(later / "events" / f"{as_of}.parquet").metadata.num_rows

    assert run_demo(home, world=day_before, stage_name="ingest") == 0
    before = logged_requests(home)
    assert params(first(before, "freshdesk", "/api/v2/tickets"))["updated_since"] == EPOCH
    stored = {table: newest_seconds(home, table) for table in (
        "raw_surveys.invitations", "raw_surveys.responses", "raw_training.courses", "raw_training.enrollments")}
    capsys.readouterr()

    assert run_demo(home, world=later, stage_name="ingest") == 0
    assert (f"the same world, now as of {as_of} (was {as_of - dt.timedelta(days=1)}): "
            "reading what changed since the last run") in capsys.readouterr().out
    after = logged_requests(home)  # the new sandbox's log: this run's requests only
    assert params(first(after, "surveys", "/v1/invitations"))["updated_since"] == stored["raw_surveys.invitations"]
    assert params(first(after, "surveys", "/v1/responses"))["updated_since"] == stored["raw_surveys.responses"]
    assert params(first(after, "lms", "/api/v1/courses"))["updated_since"] == stored["raw_training.courses"]
    assert params(first(after, "lms", "/api/v1/enrollments"))["updated_since"] == stored["raw_training.enrollments"]
    assert params(first(after, "freshdesk", "/api/v2/tickets"))["updated_since"] > str(as_of - dt.timedelta(days=2))
    assert "cursor" in params(first(after, "zendesk", "/incremental/tickets/cursor"))
    for crm_object in ("companies", "contacts", "deals"):  # searched from the stored stamp, not listed
        search = first(after, "hubspot", f"/crm/v3/objects/{crm_object}/search")
        assert int(search["body"]["filterGroups"][0]["filters"][0]["value"]) > 0
    queries = [e["query"] for e in after if e["vendor"] == "salesforce" and "/query" in e["path"]]
    assert queries and all("1970-01-01" not in q for q in queries)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:  # one file of events read, no other
        loads = con.execute("select _source_file, count(*) from raw_product.events group by all "
                            "having max(_dlt_load_id) = (select max(_dlt_load_id) from raw_product.events)").fetchall()
        total = con.execute("select count(*) from raw_product.events").fetchone()[0]
    assert loads == [(f"{as_of}.parquet", new_day)]
    assert total == sum(pq.ParquetFile(path).metadata.num_rows for path in event_files(tiny_world))


def test_the_same_company_a_day_later_keeps_the_warehouse_and_the_cursors(tiny_world, tmp_path, home, capsys):
    from cs360.demo import reset_if_new_world

    as_of = dt.date.fromisoformat(read_meta(tiny_world)["as_of"])
    day_before = tmp_path / "day-before"
    day_before.mkdir()  # a cut world differs from the full one in its `as_of` only
    day_before_meta = {**read_meta(tiny_world), "as_of": str(as_of - dt.timedelta(days=1))}
    (day_before / "meta.json").write_text(json.dumps(day_before_meta))
    reset_if_new_world(home, day_before)
    home.warehouse.write_bytes(b"warehouse")
    (home.dlt_dir / "cs360_freshdesk").mkdir(parents=True)
    reset_if_new_world(home, tiny_world)
    assert capsys.readouterr().out == (f"the same world, now as of {as_of} (was {as_of - dt.timedelta(days=1)}): "
                                       "reading what changed since the last run\n")
    assert home.warehouse.read_bytes() == b"warehouse" and (home.dlt_dir / "cs360_freshdesk").is_dir()


def test_another_companys_world_starts_from_an_empty_warehouse(tiny_world, tmp_path, home, capsys):
    from cs360.demo import reset_if_new_world

    home.warehouse.write_bytes(b"")
    reset_if_new_world(home, tiny_world)
    other = tmp_path / "other"
    other.mkdir()
    (other / "meta.json").write_text(json.dumps({**read_meta(tiny_world), "seed": 8}))
    reset_if_new_world(home, other)
    assert "a different world than last time" in capsys.readouterr().out and not home.warehouse.exists()

    home.warehouse.write_bytes(b"")  # the same company going back in time is not a day later either
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "meta.json").write_text(json.dumps({**read_meta(other), "as_of": "2020-01-01"}))
    reset_if_new_world(home, earlier)
    assert "a different world than last time" in capsys.readouterr().out and not home.warehouse.exists()


@pytest.mark.slow  # two ingests of the XS world
def test_cs360_run_against_a_restarted_sandbox_sends_the_stored_cursors(tiny_world, tmp_path, home):
    from cs360.runner import run_stage
    from sandbox.doubles.server import Sandbox

    for attempt in (1, 2):  # a new sandbox each time: other ports, other tokens, the same systems
        with Sandbox(tiny_world, tmp_path / f"sandbox-{attempt}") as sandbox:
            os.environ.update(sandbox.env)
            assert run_stage(home, "ingest", log=lambda line: None).success
            entries = sandbox.request_log.entries()
    assert params(first(entries, "freshdesk", "/api/v2/tickets"))["updated_since"] != EPOCH
    assert params(first(entries, "surveys", "/v1/responses"))["updated_since"] != EPOCH
    assert params(first(entries, "lms", "/api/v1/enrollments"))["updated_since"] != EPOCH
    assert "cursor" in params(first(entries, "zendesk", "/incremental/tickets/cursor"))
    assert first(entries, "hubspot", "/crm/v3/objects/companies/search")
