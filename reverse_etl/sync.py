"""Reverse ETL: the warehouse's account health → fields on the CRM account records.

One run for one destination:

0. **gates** — the sync gates (`gates.py`) judge the warehouse first: a failed gate stops
   the run before any call to the vendor (`GateFailed`, naming the gate), unless it is
   overridden with a reason (`force_reason`, `cs360 sync --force --reason`), which is
   logged and recorded in `sync_runs`.
1. **check** — the mapping alone (batch limits, duplicate targets), the model (mapped
   columns exist; the model key is never null or duplicated; the match key is never blank
   or duplicated), the ingestion pipelines (no written field is read back into the
   score) and the destination's schema (Salesforce `describe`, HubSpot properties). Every
   problem is collected; any problem stops the run before a single write
   (`InvalidMapping`, naming them all).
2. **plan** — each row's wanted values are fingerprinted and compared with
   `reverse_etl.sync_state`: only new or changed rows, and failed rows not yet parked,
   are sent (`--full-resync` sends every row).
3. **send** — in the vendor's batch size, or as one Bulk API 2.0 job above the threshold.
   After every batch the records the vendor confirmed, and the failures with its reason,
   are committed to `sync_state` and `sync_records` in one transaction, so a run killed
   at any point leaves only confirmed writes recorded and the next run sends the rest.
   Records failing transiently are sent again in a later round of the same run.
4. **audit** — one `sync_runs` row, whatever happened.

A dry run does steps 0–2 read-only and prints the plan and the gates that would block:
no write call, no state change, no row anywhere.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from cs360_core import warehouse
from cs360_core.configuration import SourceNotConfigured
from cs360_core.introspection import column_names
from cs360_core.killpoints import kill_point
from cs360_core.settings import Home
from pipelines.credentials import hubspot_settings, salesforce_settings
from reverse_etl.audit import RecordOutcome, SyncRun, ensure_schema, now_utc, record_run
from reverse_etl.gates import GateResult, evaluate_gates, failed_gates
from reverse_etl.mapping import (
    Destination, MappingError, Mappings, config_problems, load_mappings, model_problems, score_input_problems,
)
from cs360_core.http import RateLimitExhausted, RetriesExhausted, RetryPolicy
from reverse_etl.state import Change, RecordState, StateWriter, fingerprint, load_state
from reverse_etl.values import hubspot_value, salesforce_value
from reverse_etl.writer import BatchRejected, RecordResult, RequestFailed, SchemaCheck, Writer, chunked

DESTINATIONS = ("salesforce", "hubspot")
# How a warehouse value goes on each vendor's wire (and into its fingerprint).
WIRE = {"salesforce": salesforce_value, "hubspot": hubspot_value}
SAMPLE = 5

# What a sync reads and writes, for a warehouse that is not DuckDB (cs360_core.warehouse.working_copy):
# the mapped model and the gates' marts, the churn model versions, its own bookkeeping.
READS = ("marts", "learning", "reverse_etl")
WRITES = ("reverse_etl",)


class SyncAborted(RuntimeError):
    """The sync stopped before any write because its input is unsafe to send."""


class InvalidMapping(SyncAborted):
    def __init__(self, destination: str, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{destination}: the sync was stopped before any write, "
                         f"{len(problems)} problem(s):\n{lines}")


class GateFailed(SyncAborted):
    """A sync gate failed: nothing is sent to the CRM."""

    def __init__(self, destination: str, failed: list[GateResult]):
        self.gates = [g.name for g in failed]
        reasons = "; ".join(f"{g.name}: {g.reason}" for g in failed)
        super().__init__(f"{destination}: blocked by the sync gate {', '.join(self.gates)} ({reasons}); nothing "
                         "was written. Fix the cause, or override with `cs360 sync --force --reason \"...\"`.")


# --- reading the model --------------------------------------------------------------------

def _model_columns(con: duckdb.DuckDBPyConnection, model: str) -> set[str] | None:
    schema, _, table = model.rpartition(".")
    return set(column_names(con, schema or "main", table)) or None


def _examples(values) -> str:
    values = list(dict.fromkeys(str(v) for v in values))
    more = f" and {len(values) - 5} more" if len(values) > 5 else ""
    return ", ".join(values[:5]) + more


def read_model(con: duckdb.DuckDBPyConnection, mappings: Mappings, destination: Destination,
               columns: set[str]) -> tuple[list[dict], list[str]]:
    """Rows that have a record in this destination, and the key problems found."""
    key, match = mappings.model_key, destination.match_key
    present = [f.column for f in destination.field_maps if f.column in columns and f.column not in (key, match)]
    # keys as text: an integer id column with nulls would otherwise come back as floats
    selected = ", ".join([f'cast("{key}" as varchar) as "{key}"', f'cast("{match}" as varchar) as "{match}"',
                          *(f'"{c}"' for c in dict.fromkeys(present))])
    frame = con.execute(f"select {selected} from {mappings.model}").df()
    problems = []
    if frame[key].isna().any():
        problems.append(f"{destination.name}: {frame[key].isna().sum()} row(s) of {mappings.model} have a null "
                        f"{key}")
    dup_keys = frame[key][frame[key].notna() & frame[key].duplicated()]
    if not dup_keys.empty:
        problems.append(f"{destination.name}: {key} is not unique in {mappings.model} ({_examples(dup_keys)})")
    frame = frame[frame[match].notna()]
    as_text = frame[match].astype(str).str.strip()
    blank = frame[key][as_text == ""]
    if not blank.empty:
        problems.append(f"{destination.name}: {match} is blank for {_examples(blank)}")
    dup_match = frame[match][frame[match].duplicated()]
    if not dup_match.empty:
        problems.append(f"{destination.name}: {match} is not unique in {mappings.model} ({_examples(dup_match)}): "
                        "two accounts would overwrite one record")
    rows = frame.sort_values(key).astype(object).where(frame.notna(), None).to_dict("records")
    return rows, problems


# --- planning -------------------------------------------------------------------------------

@dataclass
class Plan:
    destination: Destination
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    parked: list[Change] = field(default_factory=list)
    model_rows: int = 0
    skipped_columns: list[str] = field(default_factory=list)

    def count(self, reason: str) -> int:
        return sum(c.reason == reason for c in self.changes)


def plan_changes(rows: list[dict], destination: Destination, mappings: Mappings, wire: Callable,
                 states: dict[str, RecordState], full_resync: bool, columns: set[str]) -> Plan:
    plan = Plan(destination, model_rows=len(rows),
                skipped_columns=[f.column for f in destination.field_maps if f.column not in columns])
    mapped = [f for f in destination.field_maps if f.column in columns]
    for row in rows:
        record_id = str(row[destination.match_key]).strip()
        values = {f.target: wire(row[f.column]) for f in mapped}
        fp = fingerprint(destination.object, values)
        state = states.get(record_id)
        previous = state.values if state and state.fingerprint else None
        if full_resync:
            reason = "resync"
        elif state and (state.fingerprint == fp or _same_but_stamps(state, values, destination.stamps)):
            plan.unchanged += 1
            continue
        elif state and state.failed_fingerprint == fp:
            if state.status == "parked":
                plan.parked.append(Change(record_id, row[mappings.model_key], values, fp, "parked", previous))
                continue
            reason = "retry"
        else:
            reason = "changed" if state and state.fingerprint else "new"
        plan.changes.append(Change(record_id, str(row[mappings.model_key]), values, fp, reason, previous))
    return plan


def _same_but_stamps(state: RecordState, values: dict, stamps: frozenset[str]) -> bool:
    """The CRM holds these values (as confirmed last), stamps apart."""
    if not stamps or state.status != "synced" or not state.synced_values:
        return False
    held = state.values
    return held.keys() == values.keys() and all(held[k] == v for k, v in values.items() if k not in stamps)


def _uses_bulk(destination: Destination, n: int) -> bool:
    return destination.bulk_threshold is not None and n > destination.bulk_threshold


def estimated_write_calls(destination: Destination, n: int) -> tuple[str, int]:
    if n == 0:
        return "nothing to send", 0
    if _uses_bulk(destination, n):
        return "one Bulk API 2.0 job", 3
    label = "sObject Collections" if destination.name == "salesforce" else "batch update"
    return f"{label} of up to {destination.batch_size}", math.ceil(n / destination.batch_size)


def _describe_change(change: Change, limit: int = 60) -> str:
    def show(value) -> str:
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    if change.previous:
        diffs = [f"{k}: {show(change.previous.get(k))} → {show(v)}" for k, v in change.values.items()
                 if change.previous.get(k) != v]
        body = ", ".join(diffs) or "values unchanged (resent)"
    else:
        body = ", ".join(f"{k}={show(v)}" for k, v in change.values.items())
    return f"{change.record_id} (account {change.account_id}, {change.reason}): {body}"


def print_plan(plan: Plan, check: SchemaCheck | None, log: Callable[[str], None]) -> None:
    d = plan.destination
    how, calls = estimated_write_calls(d, len(plan.changes))
    log(f"{d.name}: would send {len(plan.changes)} of {plan.model_rows} {d.object} records "
        f"(new {plan.count('new')}, changed {plan.count('changed')}, retry {plan.count('retry')}, "
        f"resync {plan.count('resync')}); {plan.unchanged} unchanged, {len(plan.parked)} parked; "
        f"{how}: {calls} write call(s)")
    if plan.skipped_columns:
        log(f"  optional columns not in the model yet, not sent: {', '.join(plan.skipped_columns)}")
    if check is None:
        log(f"  {d.name} is not configured: the mapping was not checked against it")
    elif check.to_create:
        log(f"  would create: {', '.join(check.to_create)}")
    for change in plan.changes[:SAMPLE]:
        log("  " + _describe_change(change))
    if len(plan.changes) > SAMPLE:
        log(f"  ... and {len(plan.changes) - SAMPLE} more")


# --- the writers ----------------------------------------------------------------------------

def make_writer(name: str, policy: RetryPolicy | None = None) -> Writer:
    """The destination's writer, with credentials read from the environment now."""
    if name == "salesforce":
        from pipelines.salesforce.client import salesforce_client
        from reverse_etl.salesforce import SalesforceWriter

        return SalesforceWriter(salesforce_client(salesforce_settings()), policy)
    if name == "hubspot":
        from reverse_etl.hubspot import HubSpotWriter, hubspot_client

        return HubSpotWriter(hubspot_client(hubspot_settings()), policy)
    raise SyncAborted(f"no writer for destination {name!r}")


# --- one run ----------------------------------------------------------------------------------

AfterBatch = Callable[[SyncRun, list[RecordOutcome]], None]


def sync_destination(
    home: Home,
    name: str,
    mappings: Mappings | None = None,
    dry_run: bool = False,
    full_resync: bool = False,
    log: Callable[[str], None] = print,
    policy: RetryPolicy | None = None,
    writer: Writer | None = None,
    after_batch: AfterBatch | None = None,
    force_reason: str | None = None,
) -> SyncRun:
    """Sync one destination; see the module docstring. `after_batch` is called after each
    batch's outcomes are committed (a seam for progress reporting and for tests).
    `force_reason` overrides failed sync gates; it must say why."""
    if force_reason is not None and not force_reason.strip():
        raise SyncAborted(f"{name}: overriding the sync gates needs a reason (--reason \"...\")")
    if mappings is None:
        try:  # read now, not at import: a broken file fails this sync, not the code location
            mappings = load_mappings()
        except MappingError as broken:
            raise InvalidMapping(name, broken.problems) from None
    if name not in mappings.destinations:
        raise SyncAborted(f"{name}: not a destination in the mappings ({', '.join(mappings.destinations)})")
    destination = mappings.destinations[name]
    if dry_run and not warehouse.exists(home):
        raise SyncAborted(f"{name}: no warehouse yet at {home.warehouse}: run ingest and transform first")
    run = SyncRun(uuid.uuid4().hex, name, now_utc(), dry_run=dry_run, full_resync=full_resync,
                  force_reason=force_reason.strip() if force_reason else None)
    with warehouse.working_copy(home, reads=READS, writes=WRITES, read_only=dry_run) as con:
        try:
            _check_gates(con, run, log)
            _run(con, run, mappings, destination, log, policy, writer, after_batch)
        except BaseException as exc:
            if run.status == "running":
                status = "blocked" if isinstance(exc, GateFailed) else "aborted" if isinstance(exc, SyncAborted) \
                    else "failed"
                run.finish(status, _short(exc))
            if not dry_run:
                record_run(con, run)
            raise
        if not dry_run:
            record_run(con, run)
    return run


def _check_gates(con, run: SyncRun, log) -> None:
    """Judge the sync gates: raise `GateFailed` unless they pass or are overridden with a
    reason; a dry run only says which gate would block."""
    failed = failed_gates(evaluate_gates(con))
    run.gates_failed = [g.name for g in failed]
    if not failed:
        return
    reasons = "; ".join(f"{g.name}: {g.reason}" for g in failed)
    if run.force_reason is not None:
        log(f"{run.destination}: OVERRIDE of the failed sync gate {', '.join(run.gates_failed)} ({reasons}); "
            f"forced with the reason: {run.force_reason}")
    elif run.dry_run:
        log(f"{run.destination}: the sync gate {', '.join(run.gates_failed)} would block this sync ({reasons}); "
            "the plan below would not be sent")
    else:
        raise GateFailed(run.destination, failed)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 2000 else text[:1997] + "..."


def _run(con, run: SyncRun, mappings: Mappings, destination: Destination, log, policy, writer,
         after_batch) -> None:
    name = destination.name
    # 1. check: everything, before anything is written
    problems = config_problems(destination) + score_input_problems(destination)
    columns = _model_columns(con, mappings.model)
    rows: list[dict] = []
    if columns is None:
        problems.append(f"{name}: the model {mappings.model} does not exist in the warehouse")
    else:
        problems += model_problems(destination, mappings.model, mappings.model_key, columns)
        if {mappings.model_key, destination.match_key} <= columns:
            rows, key_problems = read_model(con, mappings, destination, columns)
            problems += key_problems
    check: SchemaCheck | None = None
    if writer is None:
        try:
            writer = make_writer(name, policy)
        except SourceNotConfigured as skipped:
            if not run.dry_run:
                raise
            log(str(skipped))
    if writer is not None:
        check = writer.check(destination)
        problems += check.problems
    run.api_calls = writer.api_calls if writer else 0
    if problems:
        raise InvalidMapping(name, problems)
    for column in [f.column for f in destination.field_maps if f.column not in (columns or set())]:
        log(f"{name}: optional column {column!r} is not in {mappings.model} yet; "
            f"{destination.fields[column]} is not written until it is")

    # 2. plan
    states = load_state(con, name)
    wire = WIRE[name]  # the same with or without a writer: dry runs need no credentials
    plan = plan_changes(rows, destination, mappings, wire, states, run.full_resync, columns or set())
    run.model_rows, run.unchanged, run.parked_skipped = plan.model_rows, plan.unchanged, len(plan.parked)
    run.planned = len(plan.changes)
    if run.dry_run:
        print_plan(plan, check, log)
        run.method = estimated_write_calls(destination, run.planned)[0]
        run.finish("dry_run")
        return

    # 3. send
    ensure_schema(con)
    created = writer.prepare(destination, check)
    if created:
        log(f"{name}: created {', '.join(created)}")
    state_writer = StateWriter(con, run, states, mappings.retry.permanent_attempts)
    try:
        _send(writer, destination, plan.changes, state_writer, mappings.retry.record_rounds,
              policy or getattr(writer, "policy", None) or RetryPolicy.from_config(), after_batch)
    except (RetriesExhausted, RateLimitExhausted, RequestFailed) as exc:
        run.finish("failed", _short(exc))
        log(f"{name}: stopped: {exc}; unconfirmed records are sent again next run")
    finally:
        run.api_calls, run.write_calls = writer.api_calls, writer.write_calls
        run.method = "+".join(getattr(writer, "methods_used", None) or [writer.method]) if run.planned else None
    run.finish()
    parked_note = f", {run.parked_skipped} parked not sent" if run.parked_skipped else ""
    log(f"{name}: {run.succeeded} of {run.planned} changed {destination.object} records written "
        f"({run.unchanged} unchanged{parked_note}) in {run.api_calls} API calls "
        f"({run.write_calls} writes); {run.failed} failed, {run.parked} newly parked")


def _send(writer: Writer, destination: Destination, changes: list[Change], state_writer: StateWriter,
          rounds: int, policy: RetryPolicy, after_batch: AfterBatch | None) -> None:
    pending = changes
    for round_no in range(1, max(1, rounds) + 1):
        if round_no > 1:
            policy.wait(policy.backoff(round_no - 1))
        retry_later: list[Change] = []
        last_round = round_no == max(1, rounds)

        def settle(pairs: list[tuple[Change, RecordResult]], method: str,
                   last_round: bool = last_round, retry_later: list[Change] = retry_later) -> None:
            final = []
            for change, result in pairs:
                if not result.ok and result.transient and not last_round:
                    retry_later.append(change)
                    continue
                final.append((change, RecordOutcome(change.record_id, change.account_id, result.ok, result.error,
                                                    result.code, result.transient, method=method)))
            kill_point("crm_batch_confirmed")  # the vendor has the writes, the state does not yet
            state_writer.apply(final)
            if after_batch is not None:
                after_batch(state_writer.run, [o for _, o in final])

        if _uses_bulk(destination, len(pending)):
            results = writer.bulk_update(destination, pending)
            settle(list(zip(pending, results, strict=True)), "bulk")
        else:
            for batch in chunked(pending, destination.batch_size):
                settle(_write_splitting(writer, destination, batch), writer.method)
        pending = retry_later
        if not pending:
            return


def _write_splitting(writer: Writer, destination: Destination, batch: list[Change]) -> list[tuple[Change, RecordResult]]:
    """Write a batch; when the vendor rejects it whole, halve it until the records at
    fault stand alone (they fail with the vendor's reason, the rest is written)."""
    try:
        return list(zip(batch, writer.write_batch(destination, batch), strict=True))
    except BatchRejected as rejected:
        if len(batch) == 1:
            return [(batch[0], RecordResult(batch[0].record_id, False, rejected.code, rejected.message))]
        middle = len(batch) // 2
        return (_write_splitting(writer, destination, batch[:middle])
                + _write_splitting(writer, destination, batch[middle:]))

