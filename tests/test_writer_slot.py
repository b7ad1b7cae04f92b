"""The warehouse writer slot as source steps claim it (orchestration/writer_slot.py), on a
real Dagster instance with the one-slot pool cs360 configures."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from dagster import DagsterInstance

from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.writer_slot import BRIEF_CLAIM_PRIORITY, WHOLE_STEP_CLAIM_PRIORITY, warehouse_writer

RUN_ID = "daily"
ONE_WRITER = {"concurrency": {"pools": {"default_limit": 1}}}  # as the dagster.yaml cs360 writes


def step_context(instance: DagsterInstance, step_key: str, log: list[str]) -> SimpleNamespace:
    """What the slot reads of a step's AssetExecutionContext: the instance, run, step key, log."""
    return SimpleNamespace(instance=instance, run=SimpleNamespace(run_id=RUN_ID),
                           get_step_execution_context=lambda: SimpleNamespace(step=SimpleNamespace(key=step_key)),
                           log=SimpleNamespace(info=log.append))


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_brief_claim_is_served_before_a_whole_step_claim_that_came_first(tmp_path):
    """The product step (holding the slot for its whole step) asks first, an API source (its
    cursors only) second, while a dbt step holds the slot: the API source goes first, so it
    pages while the product's long claim runs instead of queueing behind it."""
    instance = DagsterInstance.local_temp(str(tmp_path), overrides=ONE_WRITER)
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(DUCKDB_WRITER_POOL)  # as the executor does at launch
    assert storage.claim_concurrency_slot(DUCKDB_WRITER_POOL, RUN_ID, "cs360_dbt_models_4").is_claimed
    served, log = [], []

    def step(step_key: str, priority: int) -> threading.Thread:
        def claim() -> None:
            with warehouse_writer(step_context(instance, step_key, log), tmp_path / "writer.lock", priority=priority):
                served.append(step_key)

        thread = threading.Thread(target=claim)
        thread.start()
        wait_until(lambda: storage.has_pending_step(DUCKDB_WRITER_POOL, RUN_ID, step_key))
        return thread

    steps = [step("product_raw", WHOLE_STEP_CLAIM_PRIORITY), step("zendesk_raw", BRIEF_CLAIM_PRIORITY)]
    time.sleep(1.1)  # long enough that each step logs its wait
    assert served == []  # the dbt step still holds the slot
    storage.free_concurrency_slot_for_step(RUN_ID, "cs360_dbt_models_4")
    for thread in steps:
        thread.join(timeout=10)

    assert served == ["zendesk_raw", "product_raw"]
    assert len(log) == 2 and all(line.startswith("waited ") and "writer slot" in line for line in log)
    assert storage.get_concurrency_info(DUCKDB_WRITER_POOL).claimed_slots == []


def test_without_a_pool_limit_the_file_lock_alone_keeps_one_writer(tmp_path):
    instance = DagsterInstance.local_temp(str(tmp_path))  # no pool configured: no limit
    inside, overlaps, log = [], [], []

    def claim(step_key: str) -> None:
        with warehouse_writer(step_context(instance, step_key, log), tmp_path / "writer.lock"):
            inside.append(step_key)
            overlaps.append(len(inside))
            time.sleep(0.2)
            inside.remove(step_key)

    threads = [threading.Thread(target=claim, args=(key,)) for key in ("hubspot_raw", "freshdesk_raw", "zendesk_raw")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert overlaps == [1, 1, 1]
