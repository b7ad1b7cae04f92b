"""Reverse-ETL bookkeeping in the warehouse, schema `reverse_etl`:

- `sync_runs`: one row per run and destination (planned, sent, succeeded, failed, API
  calls, duration, how it was sent and how it ended);
- `sync_records`: one row per record sent in a run, with its outcome and the vendor's
  reason when it failed;
- `sync_state`: the diff state, one row per (destination, record) (see `state.py`);
- `alert_deliveries`: which alert went out when (see `alerts.py`).

"What did we write last night, and why did that account not update?" is a SQL question.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from cs360_core.introspection import column_names, table_exists

DDL = """
create schema if not exists reverse_etl;
create table if not exists reverse_etl.sync_runs (
    run_id varchar, destination varchar, started_at timestamptz, finished_at timestamptz,
    planned integer, sent integer, succeeded integer, failed integer, api_calls integer,
    duration_seconds double, dry_run boolean, status varchar, error varchar, method varchar,
    model_rows integer, unchanged integer, parked_skipped integer, parked integer, write_calls integer,
    full_resync boolean, gates_failed varchar, forced boolean, force_reason varchar
);
create table if not exists reverse_etl.sync_records (
    run_id varchar, destination varchar, record_id varchar, account_id varchar,
    outcome varchar, error varchar, error_code varchar, transient boolean, parked boolean,
    method varchar, recorded_at timestamptz
);
create table if not exists reverse_etl.sync_state (
    destination varchar, record_id varchar, account_id varchar,
    fingerprint varchar, synced_values varchar, synced_at timestamptz, synced_run_id varchar,
    status varchar, failed_fingerprint varchar, attempts integer,
    last_error_code varchar, last_error varchar, last_attempt_at timestamptz, last_run_id varchar
);
create table if not exists reverse_etl.alert_deliveries (
    alert_id varchar, account_id varchar, kind varchar, created_at timestamptz,
    status varchar, attempts integer, first_attempt_at timestamptz, delivered_at timestamptz,
    last_status_code integer, last_error varchar
);
"""

SYNC_RECORDS_COLUMNS = ["run_id", "destination", "record_id", "account_id", "outcome", "error",
                        "error_code", "transient", "parked", "method", "recorded_at"]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class RecordOutcome:
    record_id: str
    account_id: str
    succeeded: bool
    error: str | None = None
    error_code: str | None = None
    transient: bool = False
    parked: bool = False
    method: str | None = None


@dataclass
class SyncRun:
    run_id: str
    destination: str
    started_at: dt.datetime
    planned: int = 0
    dry_run: bool = False
    full_resync: bool = False
    model_rows: int = 0
    unchanged: int = 0
    parked_skipped: int = 0
    api_calls: int = 0
    write_calls: int = 0
    method: str | None = None
    status: str = "running"
    error: str | None = None
    gates_failed: list[str] = field(default_factory=list)  # the sync gates that failed before this run
    force_reason: str | None = None  # set when failed gates were overridden (`--force --reason`)
    outcomes: list[RecordOutcome] = field(default_factory=list)
    finished_at: dt.datetime | None = None

    @property
    def forced(self) -> bool:
        return bool(self.gates_failed) and self.force_reason is not None

    @property
    def blocked(self) -> bool:
        """A failed gate stops (or, in a dry run, would stop) this run."""
        return bool(self.gates_failed) and self.force_reason is None

    @property
    def sent(self) -> int:
        return len(self.outcomes)

    @property
    def succeeded(self) -> int:
        return sum(o.succeeded for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.succeeded for o in self.outcomes)

    @property
    def parked(self) -> int:
        return sum(o.parked for o in self.outcomes)

    def finish(self, status: str | None = None, error: str | None = None) -> None:
        self.finished_at = now_utc()
        if status:
            self.status = status
        elif self.status == "running":
            self.status = "succeeded" if self.failed == 0 else "partial"
        if error:
            self.error = error


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert a frame by column name (tables may have grown columns since they were made)."""
    if frame.empty:
        return
    con.register("_cs360_batch", frame)
    try:
        columns = ", ".join(frame.columns)
        con.execute(f"insert into {table} ({columns}) select {columns} from _cs360_batch")
    finally:
        con.unregister("_cs360_batch")


def merge_frame(con: duckdb.DuckDBPyConnection, table: str, keys: list[str], frame: pd.DataFrame) -> None:
    """Upsert a frame by `keys` in one MERGE statement: a batch costs one statement however
    many rows it holds, and no key is ever written twice."""
    if frame.empty:
        return
    frame = frame.drop_duplicates(keys, keep="last")  # MERGE refuses two source rows for one target row
    columns = list(frame.columns)
    on = " and ".join(f"t.{k} = s.{k}" for k in keys)
    updates = ", ".join(f"{c} = s.{c}" for c in columns if c not in keys)
    con.register("_cs360_merge", frame)
    try:
        con.execute(f"""
            merge into {table} t using _cs360_merge s on ({on})
            when matched then update set {updates}
            when not matched then insert ({', '.join(columns)}) values ({', '.join(f's.{c}' for c in columns)})
        """)
    finally:
        con.unregister("_cs360_merge")


def outcome_frame(run: SyncRun, outcomes: list[RecordOutcome]) -> pd.DataFrame:
    recorded_at = now_utc()
    return pd.DataFrame(
        [[run.run_id, run.destination, o.record_id, o.account_id, "succeeded" if o.succeeded else "failed",
          o.error, o.error_code, o.transient, o.parked, o.method, recorded_at] for o in outcomes],
        columns=SYNC_RECORDS_COLUMNS,
    ).astype({"transient": bool, "parked": bool})


def record_run(con: duckdb.DuckDBPyConnection, run: SyncRun) -> None:
    """The run's summary row (its records were written batch by batch as they happened)."""
    ensure_schema(con)
    finished = run.finished_at or now_utc()
    duration = (finished - run.started_at).total_seconds()
    con.execute(
        """insert into reverse_etl.sync_runs
           (run_id, destination, started_at, finished_at, planned, sent, succeeded, failed, api_calls,
            duration_seconds, dry_run, status, error, method, model_rows, unchanged, parked_skipped, parked,
            write_calls, full_resync, gates_failed, forced, force_reason)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [run.run_id, run.destination, run.started_at, finished, run.planned, run.sent, run.succeeded,
         run.failed, run.api_calls, duration, run.dry_run, run.status, run.error, run.method, run.model_rows,
         run.unchanged, run.parked_skipped, run.parked, run.write_calls, run.full_resync,
         ", ".join(run.gates_failed) or None, run.forced, run.force_reason if run.forced else None],
    )


# --- read side, for `cs360 status` ------------------------------------------------------

def last_runs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    if not table_exists(con, "reverse_etl", "sync_runs"):
        return []
    ensure_columns = set(column_names(con, "reverse_etl", "sync_runs"))
    extra = [c for c in ("status", "error", "method", "unchanged", "write_calls") if c in ensure_columns]
    columns = ["destination", "finished_at", "planned", "sent", "succeeded", "failed", "api_calls",
               "duration_seconds", *extra]
    frame = con.execute(f"""
        select {', '.join(columns)}
        from (select *, row_number() over (partition by destination order by finished_at desc) as latest
              from reverse_etl.sync_runs where not dry_run) as runs
        where latest = 1
        order by destination
    """).df()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def state_summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """destination → {status: records}."""
    if not table_exists(con, "reverse_etl", "sync_state"):
        return {}
    summary: dict[str, dict[str, int]] = {}
    for destination, status, n in con.execute(
            "select destination, status, count(*) from reverse_etl.sync_state group by 1, 2 order by 1, 2").fetchall():
        summary.setdefault(destination, {})[status] = n
    return summary


def failing_records(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict]:
    """Records whose last attempt failed (parked first), with the vendor's reason."""
    if not table_exists(con, "reverse_etl", "sync_state"):
        return []
    frame = con.execute("""
        select destination, record_id, account_id, status, attempts, last_error_code, last_error, last_attempt_at
        from reverse_etl.sync_state where status in ('parked', 'retrying')
        order by status = 'parked' desc, last_attempt_at desc limit ?
    """, [limit]).df()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
