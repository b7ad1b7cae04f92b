"""Reverse-ETL bookkeeping in the warehouse: schema `reverse_etl`, one row per run and
one row per record sent, so "what did we write last night" is a SQL question."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

DDL = """
create schema if not exists reverse_etl;
create table if not exists reverse_etl.sync_runs (
    run_id varchar, destination varchar, started_at timestamptz, finished_at timestamptz,
    planned integer, sent integer, succeeded integer, failed integer, api_calls integer,
    duration_seconds double, dry_run boolean
);
create table if not exists reverse_etl.sync_records (
    run_id varchar, destination varchar, record_id varchar, account_id varchar,
    outcome varchar, error varchar
);
"""


@dataclass
class RecordOutcome:
    record_id: str
    account_id: str
    succeeded: bool
    error: str | None = None


@dataclass
class SyncRun:
    run_id: str
    destination: str
    started_at: pd.Timestamp
    planned: int
    dry_run: bool = False
    api_calls: int = 0
    outcomes: list[RecordOutcome] = field(default_factory=list)
    finished_at: pd.Timestamp | None = None

    @property
    def succeeded(self) -> int:
        return sum(o.succeeded for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.succeeded for o in self.outcomes)


def record_run(con: duckdb.DuckDBPyConnection, run: SyncRun) -> None:
    con.execute(DDL)
    duration = (run.finished_at - run.started_at).total_seconds()
    con.execute(
        "insert into reverse_etl.sync_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run.run_id, run.destination, run.started_at, run.finished_at, run.planned, len(run.outcomes),
         run.succeeded, run.failed, run.api_calls, duration, run.dry_run],
    )
    if run.outcomes:
        records = pd.DataFrame(
            {
                "run_id": run.run_id,
                "destination": run.destination,
                "record_id": [o.record_id for o in run.outcomes],
                "account_id": [o.account_id for o in run.outcomes],
                "outcome": ["succeeded" if o.succeeded else "failed" for o in run.outcomes],
                "error": [o.error for o in run.outcomes],
            }
        )
        con.register("sync_records_batch", records)
        con.execute("insert into reverse_etl.sync_records select * from sync_records_batch")
        con.unregister("sync_records_batch")
