"""The diff state, `reverse_etl.sync_state`: one row per (destination, record).

`fingerprint` is a hash of the values last *confirmed* written to the record (the vendor
said so for that record), `synced_values` those values. A row whose wanted values hash to
the same fingerprint is not sent again. A failure never touches `fingerprint`; it counts
`attempts` against `failed_fingerprint` (the values that failed) so that a record failing
permanently with the same values is parked after a bound, and tried again as soon as its
values change.

Statuses: `synced` (the CRM holds the values), `retrying` (last attempt failed, the next
run sends it again), `parked` (failed permanently `permanent_attempts` times with these
values: left alone until they change or a full resync).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from cs360_core.introspection import table_exists
from reverse_etl.audit import RecordOutcome, SyncRun, insert_frame, merge_frame, outcome_frame

STATE_COLUMNS = ["destination", "record_id", "account_id", "fingerprint", "synced_values", "synced_at",
                 "synced_run_id", "status", "failed_fingerprint", "attempts", "last_error_code", "last_error",
                 "last_attempt_at", "last_run_id"]


def fingerprint(sobject: str, values: dict) -> str:
    """Stable hash of what a record should hold (destination field → wire value)."""
    payload = json.dumps({"object": sobject, "values": values}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass
class RecordState:
    record_id: str
    account_id: str | None
    fingerprint: str | None = None
    synced_values: str | None = None
    synced_at: dt.datetime | None = None
    synced_run_id: str | None = None
    status: str = "retrying"
    failed_fingerprint: str | None = None
    attempts: int = 0
    last_error_code: str | None = None
    last_error: str | None = None
    last_attempt_at: dt.datetime | None = None
    last_run_id: str | None = None

    @property
    def values(self) -> dict:
        return json.loads(self.synced_values) if self.synced_values else {}


def load_state(con: duckdb.DuckDBPyConnection, destination: str) -> dict[str, RecordState]:
    if not table_exists(con, "reverse_etl", "sync_state"):
        return {}
    frame = con.execute(
        f"select {', '.join(STATE_COLUMNS[1:])} from reverse_etl.sync_state where destination = ?",
        [destination]).df()
    frame = frame.astype(object).where(frame.notna(), None)
    states = {}
    for row in frame.to_dict("records"):
        row["attempts"] = int(row["attempts"] or 0)
        for key in ("synced_at", "last_attempt_at"):
            if row[key] is not None and hasattr(row[key], "to_pydatetime"):
                row[key] = row[key].to_pydatetime()
        states[row["record_id"]] = RecordState(**row)
    return states


@dataclass
class Change:
    """One record to send: the wanted values and what the state knew of it."""
    record_id: str
    account_id: str
    values: dict            # destination field → wire value
    fingerprint: str
    reason: str             # new | changed | retry | resync
    previous: dict | None = None


def next_state(old: RecordState | None, change: Change, outcome: RecordOutcome, run_id: str,
               permanent_attempts: int, now: dt.datetime) -> RecordState:
    base = old or RecordState(change.record_id, change.account_id)
    if outcome.succeeded:
        return replace(base, account_id=change.account_id, fingerprint=change.fingerprint,
                       synced_values=json.dumps(change.values, sort_keys=True, default=str), synced_at=now,
                       synced_run_id=run_id, status="synced", failed_fingerprint=None, attempts=0,
                       last_error_code=None, last_error=None, last_attempt_at=now, last_run_id=run_id)
    same_values = base.failed_fingerprint == change.fingerprint
    attempts = (base.attempts if same_values else 0) + (0 if outcome.transient else 1)
    parked = not outcome.transient and attempts >= permanent_attempts
    outcome.parked = parked
    return replace(base, account_id=change.account_id, status="parked" if parked else "retrying",
                   failed_fingerprint=change.fingerprint, attempts=attempts, last_error_code=outcome.error_code,
                   last_error=outcome.error, last_attempt_at=now, last_run_id=run_id)


class StateWriter:
    """Applies one batch of outcomes: state rows and audit rows in one transaction, so a
    run killed between batches leaves exactly the confirmed writes recorded."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run: SyncRun, states: dict[str, RecordState],
                 permanent_attempts: int):
        self.con = con
        self.run = run
        self.states = states
        self.permanent_attempts = permanent_attempts

    def apply(self, pairs: list[tuple[Change, RecordOutcome]]) -> None:
        if not pairs:
            return
        now = dt.datetime.now(dt.timezone.utc)
        new_states = [next_state(self.states.get(c.record_id), c, o, self.run.run_id, self.permanent_attempts, now)
                      for c, o in pairs]
        state_frame = pd.DataFrame(
            [[self.run.destination, *(getattr(s, col) for col in STATE_COLUMNS[1:])] for s in new_states],
            columns=STATE_COLUMNS,
        ).astype({"attempts": "int64"})
        for column in ("synced_at", "last_attempt_at"):
            state_frame[column] = pd.to_datetime(state_frame[column], utc=True)
        outcomes = [o for _, o in pairs]
        self.con.execute("begin transaction")
        try:  # one statement per table per batch, whatever the state's size
            merge_frame(self.con, "reverse_etl.sync_state", ["destination", "record_id"], state_frame)
            insert_frame(self.con, "reverse_etl.sync_records", outcome_frame(self.run, outcomes))
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        for state in new_states:
            self.states[state.record_id] = state
        self.run.outcomes.extend(outcomes)
