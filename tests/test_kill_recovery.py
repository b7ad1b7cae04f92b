"""Real kills: `cs360 run` in a child process, SIGKILLed at a named point (cs360_core.killpoints),
then a plain rerun. The rerun must leave exactly what one clean run of the same world leaves:
the same raw rows (no duplicates), the same marts, the same CRM fields, and every alert
posted, at most one of them twice (the one whose post the killed run did not record).

One clean `cs360 run all` is the reference; the kills run in order on a second home, stage
by stage, each stage's rerun being the next stage's input.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from sandbox.doubles.server import Sandbox
from tests.kill_harness import alert_post_counts, crm_fields, raw_summary, run_cs360, start_cs360, table_differences

# small export pages, so a kill can fall between two pages of one Zendesk export
PAGE_SIZES = {"zendesk": 5}
# which dlt load wrote a row: a time-based id, different in every home by nature
LOAD_IDS = {"dlt_load_id", "_dlt_load_id"}


class Reference:
    """One clean `cs360 run all`, started at once in the background (the kills run meanwhile):
    its warehouse, CRM fields and alert posts are what every rerun must reach."""

    def __init__(self, home, sandbox):
        self.warehouse = home / "warehouse.duckdb"
        self._sandbox = sandbox
        self._running = start_cs360(home, sandbox.env, "run", "all")
        self._snapshot = None

    def ready(self) -> Reference:
        if self._snapshot is None:
            clean = self._running.wait()
            assert clean.returncode == 0, clean.describe()
            self._snapshot = {"crm": crm_fields(self._sandbox), "alerts": alert_post_counts(self._sandbox)}
        return self

    @property
    def crm(self) -> dict:
        return self.ready()._snapshot["crm"]

    @property
    def alerts(self):
        return self.ready()._snapshot["alerts"]


@pytest.fixture(scope="module")
def reference(tiny_world, tmp_path_factory):
    home = tmp_path_factory.mktemp("reference_home")
    with Sandbox(tiny_world, home / "sandbox", page_sizes=PAGE_SIZES) as sandbox:
        reference = Reference(home, sandbox)
        yield reference
        reference._running.wait()


@pytest.fixture(scope="module")
def killed_home(tmp_path_factory):
    return tmp_path_factory.mktemp("killed_home")


@pytest.fixture(scope="module")
def sandbox(tiny_world, killed_home):
    with Sandbox(tiny_world, killed_home / "sandbox", page_sizes=PAGE_SIZES) as sandbox:
        yield sandbox


def killed(home, sandbox, stage: str, point: str):
    outcome = run_cs360(home, sandbox.env, "run", stage, kill_at=point)
    assert outcome.killed, outcome.describe()
    return outcome


def rerun(home, sandbox, stage: str):
    outcome = run_cs360(home, sandbox.env, "run", stage)
    assert outcome.returncode == 0, outcome.describe()
    return outcome


def zendesk_exports(sandbox) -> list[dict]:
    return [parse_qs(e["query"]) for e in sandbox.request_log.entries("zendesk")
            if e["path"].endswith("/incremental/tickets/cursor.json")]


def crm_writes(sandbox) -> set[str]:
    """The CRMs that received record writes (not schema reads or property set-up)."""
    paths = {"salesforce": ("/composite/sobjects", "/jobs/ingest"), "hubspot": ("/batch/update", "/batch/upsert")}
    return {crm for crm, parts in paths.items() for e in sandbox.request_log.entries(crm)
            if e["method"] in ("POST", "PATCH", "PUT") and any(part in e["path"] for part in parts)}


@pytest.mark.slow  # child runs of the real job: about 6 minutes on 2 shared cores
def test_ingest_killed_mid_extract_and_mid_load_is_redone_exactly(reference, killed_home, sandbox):
    # mid-extract: after the first event file of the product source was handed to dlt
    killed(killed_home, sandbox, "ingest", "product_event_file")
    # mid-extract: between the pages of the Zendesk export, its cursor moved in memory only
    killed(killed_home, sandbox, "ingest", "zendesk_export_page:2")
    # mid-load: the second finished load job, with the other tables of its package not loaded
    killed(killed_home, sandbox, "ingest", "dlt_load_job:2")
    sandbox.request_log.clear()

    rerun(killed_home, sandbox, "ingest")

    expected = raw_summary(reference.ready().warehouse)
    assert all(rows == keys for rows, keys in expected.values())
    assert raw_summary(killed_home / "warehouse.duckdb") == expected
    # nothing of the killed export was committed: the rerun's export starts from the beginning
    first_export = zendesk_exports(sandbox)[0]
    assert first_export.get("start_time") == ["0"], first_export


@pytest.mark.slow  # child runs of the real job: about 6 minutes on 2 shared cores
def test_transform_killed_mid_dbt_build_is_rebuilt_by_the_next_run(reference, killed_home, sandbox):
    killed(killed_home, sandbox, "transform", "dbt_build_event:80")

    rerun(killed_home, sandbox, "transform")

    for schema in ("staging", "intermediate", "marts"):
        assert table_differences(killed_home / "warehouse.duckdb", reference.ready().warehouse, schema,
                                 ignore=LOAD_IDS) == {}, schema


@pytest.mark.slow  # child runs of the real job: about 6 minutes on 2 shared cores
def test_sync_killed_after_an_alert_post_and_after_crm_confirmations_is_completed(reference, killed_home, sandbox):
    # posted, not recorded: the next run posts it again (the documented duplicate)
    killed(killed_home, sandbox, "sync", "alert_posted")
    # the first CRM batch confirmed by the vendor, not yet in sync_state
    killed(killed_home, sandbox, "sync", "crm_batch_confirmed")
    # the first CRM's batch committed, the second CRM's batch confirmed and not committed
    killed(killed_home, sandbox, "sync", "crm_batch_confirmed:2")
    sandbox.request_log.clear()

    rerun(killed_home, sandbox, "sync")

    # what the killed run had committed is not sent again; what it had not, is
    assert len(crm_writes(sandbox)) == 1, crm_writes(sandbox)

    assert crm_fields(sandbox) == reference.crm
    posts = alert_post_counts(sandbox)
    assert set(posts) == set(reference.alerts), "every alert reached the webhook"
    assert sorted(posts.values(), reverse=True)[:2] in ([2, 1], [2], [1, 1], [1]), "at most one alert twice"


def test_a_run_whose_process_died_gives_back_its_writer_slot(tmp_path):
    """What a SIGKILLed `cs360 run` leaves in the instance: a STARTED run holding the pool's only
    slot. The next run's release frees it; a run whose process lives keeps its own."""
    import os
    import subprocess

    from dagster import DagsterInstance, DagsterRunStatus
    from dagster._core.storage.dagster_run import DagsterRun

    from cs360.dead_runs import HOST_TAG, PID_TAG, process_tags, release_dead_runs
    from orchestration.automation import DUCKDB_WRITER_POOL

    dead = subprocess.Popen(["true"])
    dead.wait()
    instance = DagsterInstance.local_temp(str(tmp_path))
    storage = instance.event_log_storage
    storage.set_concurrency_slots(DUCKDB_WRITER_POOL, 1)
    killed_run = DagsterRun(job_name="cs360_ingest", run_id="killed", status=DagsterRunStatus.STARTED,
                            tags={**process_tags(), PID_TAG: str(dead.pid)})
    live_run = DagsterRun(job_name="cs360_ingest", run_id="live", status=DagsterRunStatus.STARTED,
                          tags={HOST_TAG: process_tags()[HOST_TAG], PID_TAG: str(os.getppid())})
    for run in (killed_run, live_run):
        instance.add_run(run)
    assert storage.claim_concurrency_slot(DUCKDB_WRITER_POOL, "killed", "product_raw").is_claimed
    assert not storage.claim_concurrency_slot(DUCKDB_WRITER_POOL, "live", "zendesk_raw").is_claimed

    lines = []
    assert release_dead_runs(instance, lines.append) == ["killed"]

    assert instance.get_run_by_id("killed").status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id("live").status == DagsterRunStatus.STARTED
    assert storage.claim_concurrency_slot(DUCKDB_WRITER_POOL, "live", "zendesk_raw").is_claimed
    assert lines and "killed" in lines[0]
