"""Run `cs360` in a child process against a sandbox, optionally SIGKILLed at a named kill
point (cs360_core.killpoints), and read back what a run left: raw tables, marts, CRM fields,
alert posts. The child leads its own process group, so a kill takes a `dbt build` with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs360_core.killpoints import ENV as KILL_ENV, LOG_NAME

REPO = Path(__file__).resolve().parents[1]
# set by cs360 itself from the home, or by other tests: a child gets only its own
_INHERITED = ("CS360_HOME", "DAGSTER_HOME", "DBT_TARGET_PATH", "DBT_LOG_PATH", KILL_ENV)


@dataclass
class Outcome:
    args: tuple[str, ...]
    kill_at: str | None
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    kill_note: str = ""

    @property
    def killed(self) -> bool:
        """Killed by SIGKILL at the kill point asked for (not a crash, not another kill)."""
        return self.returncode == -signal.SIGKILL and self.kill_note == f"{KILL_ENV}: killing the process at {self.kill_at}"

    def describe(self) -> str:
        return (f"cs360 {' '.join(self.args)} (kill at {self.kill_at}) exited {self.returncode} in "
                f"{self.seconds:.1f}s\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}")


def child_env(home: Path, endpoints: dict[str, str], kill_at: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED}
    env.update(endpoints)
    env.update(CS360_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), **extra)
    if kill_at:
        env[KILL_ENV] = kill_at
    return env


class Running:
    """A `cs360` child started in the background; `wait()` gives its Outcome."""

    def __init__(self, home: Path, endpoints: dict[str, str], args: tuple[str, ...], kill_at: str | None,
                 extra: dict[str, str]):
        self.args, self.kill_at = args, kill_at
        self._notes = home / LOG_NAME
        self._notes.unlink(missing_ok=True)
        self._started = time.monotonic()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cs360.cli", *args], cwd=REPO, env=child_env(home, endpoints, kill_at, **extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        self._outcome: Outcome | None = None

    def wait(self, timeout: float = 900) -> Outcome:
        if self._outcome is None:
            try:
                stdout, stderr = self._proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)  # its own group: nothing outlives the test
                stdout, stderr = self._proc.communicate()
            note = self._notes.read_text().strip() if self._notes.exists() else ""
            self._outcome = Outcome(self.args, self.kill_at, self._proc.returncode, stdout, stderr,
                                    time.monotonic() - self._started, note)
        return self._outcome


def start_cs360(home: Path, endpoints: dict[str, str], *args: str, kill_at: str | None = None,
                **extra: str) -> Running:
    """`cs360 <args>` as a user runs it, in a new session (its own process group)."""
    return Running(home, endpoints, tuple(args), kill_at, extra)


def run_cs360(home: Path, endpoints: dict[str, str], *args: str, kill_at: str | None = None,
              timeout: float = 900, **extra: str) -> Outcome:
    return start_cs360(home, endpoints, *args, kill_at=kill_at, **extra).wait(timeout)


# --- what a run left in the warehouse -------------------------------------------------------------

def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)


def raw_keys(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """`raw_<source>.<table>` → its primary key, as dlt's stored schema declares it (events,
    appended without one, are keyed by `event_id`)."""
    keys = {}
    datasets = [r[0] for r in con.execute(
        "select distinct table_schema from information_schema.tables "
        "where table_schema like 'raw\\_%' escape '\\' and table_schema not like '%\\_staging' escape '\\' "
        "and table_name = '_dlt_version'").fetchall()]
    existing = {f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    for dataset in datasets:
        stored = json.loads(con.execute(
            f"select schema from {dataset}._dlt_version order by inserted_at desc limit 1").fetchone()[0])
        for table, spec in stored["tables"].items():
            name = f"{dataset}.{table}"
            if table.startswith("_dlt") or name not in existing:
                continue
            keys[name] = [c for c, col in spec.get("columns", {}).items() if col.get("primary_key")]
            if not keys[name] and "event_id" in spec.get("columns", {}):
                keys[name] = ["event_id"]
    return keys


def raw_summary(warehouse: Path) -> dict[str, tuple[int, int]]:
    """`raw_<source>.<table>` → (rows, distinct primary keys)."""
    with _connect(warehouse) as con:
        out = {}
        for table, key in raw_keys(con).items():
            schema, name = table.split(".")
            quoted = f'{schema}."{name}"'
            rows = con.execute(f"select count(*) from {quoted}").fetchone()[0]
            distinct = (con.execute(f"select count(*) from (select distinct {', '.join(map(_q, key))} from {quoted})")
                        .fetchone()[0] if key else rows)
            out[table] = (rows, distinct)
        return out


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def table_differences(warehouse: Path, reference: Path, schema: str, ignore: set[str] = frozenset()) -> dict[str, int]:
    """Tables of `schema` whose rows differ from the reference's: rows in one and not the
    other (with duplicates) over every non-float column, plus one per float column whose
    total differs by more than a cent a row (DuckDB may add floats in any order, and a
    rounded mean can move by its last digit). Columns in `ignore` are left out."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as run (read_only)")
        con.execute(f"attach '{reference}' as ref (read_only)")
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'ref' and table_schema = ?",
            [schema]).fetchall()}
        ours = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'run' and table_schema = ?",
            [schema]).fetchall()}
        differences = {name: -1 for name in tables ^ ours}
        for name in sorted(tables & ours):
            columns = [(c, t) for c, t in con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = 'ref' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
                if c not in ignore]
            exact = ", ".join(_q(c) for c, t in columns if t not in _FLOATS)
            a, b = f'run.{schema}."{name}"', f'ref.{schema}."{name}"'
            n = con.execute(f"select (select count(*) from (select {exact} from {a} except all select {exact} from {b}))"
                            f" + (select count(*) from (select {exact} from {b} except all select {exact} from {a}))"
                            ).fetchone()[0] if exact else 0
            for column in (c for c, t in columns if t in _FLOATS):
                ours_total, rows = con.execute(f"select coalesce(sum({_q(column)}), 0), count(*) from {a}").fetchone()
                their_total = con.execute(f"select coalesce(sum({_q(column)}), 0) from {b}").fetchone()[0]
                n += abs(ours_total - their_total) > 0.01 * max(rows, 1)
            if n:
                differences[name] = n
        return differences


_FLOATS = {"DOUBLE", "FLOAT", "REAL"}


# --- what the doubles hold --------------------------------------------------------------------------

def crm_fields(sandbox) -> dict[str, dict]:
    """Every CS_* field the CRM doubles hold, keyed by system and customer number (stable
    across sandboxes, unlike HubSpot's record ids)."""
    out = {}
    for account in sandbox.salesforce.records("Account", include_deleted=False):
        fields = {k: v for k, v in account.items() if k.startswith("CS_")}
        out[f"salesforce:{account.get('AccountNumber') or account['Id']}"] = fields
    for company in sandbox.hubspot.objects("companies"):
        props = company["properties"]
        fields = {k: v for k, v in props.items() if k.startswith("cs_") and k != "cs360_group"}
        out[f"hubspot:{props.get('customer_id') or company['id']}"] = fields
    return out


def alert_post_counts(sandbox) -> Counter:
    """How many times each distinct message reached the webhook."""
    return Counter(json.dumps(post, sort_keys=True) for post in sandbox.webhook.posts)
