"""The warehouse's one writer slot, claimed for part of a step.

Every step that writes the warehouse runs in the `duckdb_writer` pool (limit 1). A source's
step only needs the warehouse at its two ends (restoring the cursors, loading the
package); between them it pages through an API or reads files for minutes. So the source
steps do not run in the pool as a whole: each claims the pool's slot, through the same
instance storage Dagster's executor uses, only around the parts that open the warehouse.
Sources then extract and normalize side by side while loads stay one at a time, and a
load never overlaps a dbt build or a CRM sync, in this run or another.

Each claim attempt is made under an exclusive file lock in the home: Dagster's executor
claims slots from one process, but here every step process claims its own, and on the
SQLite instance storage two claims at the same moment could both take the one slot. The
lock is held for the attempt only, so every waiting step is in the pool's queue and the
queue's order (priority, then arrival) decides who is next. An instance without pools
has no queue: there the file lock is held for the whole block instead.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetExecutionContext

from orchestration.automation import DUCKDB_WRITER_POOL

POLL_SECONDS = 0.25
# Waiting claims are served by priority, then in the order they came. A source that only
# restores its cursors or loads its package holds the slot for seconds; one that holds it
# for its whole step (the product's event files) for minutes on a large world. The short
# claims go first, so the API sources page side by side with that long one instead of
# queueing behind it to read their cursors. The executor's own claims (dbt, syncs) have 0.
BRIEF_CLAIM_PRIORITY = 1
WHOLE_STEP_CLAIM_PRIORITY = 0


@contextmanager
def warehouse_writer(context: AssetExecutionContext, lock_file: Path, pool: str = DUCKDB_WRITER_POOL,
                     priority: int = WHOLE_STEP_CLAIM_PRIORITY) -> Iterator[None]:
    """Holds the pool's slot for this step while the block runs (waits for it first).
    `lock_file`: beside the warehouse; the steps that claim here take turns on it.
    `priority`: a higher one is served first among the claims waiting."""
    waited = time.monotonic()
    with _pool_slot(context, pool, priority, lock_file):
        if (seconds := time.monotonic() - waited) >= 1:
            context.log.info(f"waited {seconds:.1f} s for the warehouse writer slot")
        yield


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
        yield


@contextmanager
def _pool_slot(context: AssetExecutionContext, pool: str, priority: int, lock_file: Path) -> Iterator[None]:
    storage = context.instance.event_log_storage
    if not storage.supports_global_concurrency_limits or _pool_limit(storage, pool) is None:
        # no pool to queue in (Dagster's executor does not block either): the file lock alone
        # keeps the steps that claim here one at a time
        with _exclusive(lock_file):
            yield
        return
    run_id = context.run.run_id
    step_key = context.get_step_execution_context().step.key
    while True:
        with _exclusive(lock_file):
            if storage.claim_concurrency_slot(pool, run_id, step_key, priority).is_claimed:
                break
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        storage.free_concurrency_slot_for_step(run_id, step_key)


def _pool_limit(storage, pool: str) -> int | None:
    storage.initialize_concurrency_limit_to_default(pool)
    return storage.get_concurrency_info(pool).limit
