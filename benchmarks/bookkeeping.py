"""Reverse-ETL bookkeeping benchmark: alert deliveries and sync state written in sets.

    .venv/bin/python benchmarks/bookkeeping.py                    # 70,000 alerts, 20,000 records
    .venv/bin/python benchmarks/bookkeeping.py --alerts 10000 --records 5000

The warehouse holds only what the bookkeeping reads: `marts.alerts` with `--alerts` alerts
spread over two years (the first delivery keeps all but the last week as backlog), and a
sync state of `--records` records. Alerts are posted to the Slack webhook double in this
process, so the post stage includes the HTTP round trips.

The baseline is the row-at-a-time bookkeeping this replaced: one transaction per row that
deletes the row's key and inserts the row from a one-row frame. It is timed on the first
`--baseline-rows` rows against the same history and scaled linearly (the table says so).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs360_core.http import RetryPolicy  # noqa: E402
from cs360_core.settings import Home  # noqa: E402
from reverse_etl.alerts import (  # noqa: E402
    _record_first_run, deliver_alerts, first_delivery_run_at, read_pending, split_backlog,
)
from reverse_etl.audit import RecordOutcome, SyncRun, ensure_schema, insert_frame  # noqa: E402
from reverse_etl.state import STATE_COLUMNS, Change, StateWriter, load_state  # noqa: E402
from sandbox.doubles.server import _QuietHandler  # noqa: E402
from sandbox.doubles.webhook import WebhookDouble  # noqa: E402

KINDS = ("nps_detractor", "score_drop", "usage_drop", "renewal_at_risk")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def write_alerts(home: Home, n: int) -> None:
    """`n` alerts evenly over two years, the newest on 2025-06-30."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"""
            create or replace table marts.alerts as
            select 'A-' || lpad(i::varchar, 7, '0') as alert_id, 'C-' || (i % 20000) as account_id,
                   {list(KINDS)}[1 + i % 4] as kind,
                   timestamp '2025-06-30' - to_seconds(((({n} - 1 - i) * 730 * 86400) // {n})::bigint) as created_at,
                   'score 40 (-12 in 30 days)' as details
            from range({n}) t(i)""")


def row_at_a_time(con: duckdb.DuckDBPyConnection, table: str, key: str, frame: pd.DataFrame) -> None:
    """The replaced bookkeeping: a delete-and-insert transaction per row."""
    for i in range(len(frame)):
        one = frame.iloc[i:i + 1]
        con.execute("begin transaction")
        con.execute(f"delete from {table} where {key} = ?", [one[key].iloc[0]])
        insert_frame(con, table, one)
        con.execute("commit")


def no_wait() -> RetryPolicy:
    return RetryPolicy(sleep=lambda seconds: None)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_alerts(root: Path, n_alerts: int, baseline_rows: int) -> list[tuple]:
    home = Home(root / "alerts")
    home.root.mkdir(parents=True)
    write_alerts(home, n_alerts)
    hook = WebhookDouble()
    server = make_server("127.0.0.1", 0, hook, threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}{hook.path}"
    rows = []
    try:
        with duckdb.connect(str(home.warehouse)) as con:
            ensure_schema(con)
            started = time.perf_counter()
            _, backlog = split_backlog(read_pending(con), first_run_at=first_delivery_run_at(con))
            _record_first_run(con, backlog, dt.datetime.now(dt.timezone.utc))
            backlog_seconds = time.perf_counter() - started
        say(f"alerts: {len(backlog):,} backlog rows in {backlog_seconds:.2f} s")
        run = None

        def deliver():
            nonlocal run
            run = deliver_alerts(home, url=url, policy=no_wait(), log=lambda line: None)
        post_seconds = timed(deliver)
        say(f"alerts: {run.delivered:,} posted in {post_seconds:.2f} s")
        rerun_seconds = timed(lambda: deliver_alerts(home, url=url, policy=no_wait(), log=lambda line: None))

        # baseline: the same backlog rows, one transaction each, against the same history
        sample = backlog.head(baseline_rows)
        frame = pd.DataFrame({"alert_id": sample["alert_id"], "account_id": sample["account_id"],
                              "kind": sample["kind"], "created_at": pd.to_datetime(sample["created_at"], utc=True),
                              "status": "backlog", "attempts": 0})
        with duckdb.connect(str(home.warehouse)) as con:
            base_seconds = timed(lambda: row_at_a_time(con, "reverse_etl.alert_deliveries", "alert_id", frame))
            count = con.execute("select count(*), count(distinct alert_id) from reverse_etl.alert_deliveries").fetchone()
        assert count[0] == count[1] == n_alerts, count  # every alert recorded exactly once
        scaled = base_seconds * len(backlog) / max(len(sample), 1)
        rows.append(("alerts: first delivery, backlog recorded", len(backlog), backlog_seconds, scaled,
                     f"row at a time, {len(sample):,} timed, scaled"))
        rows.append(("alerts: recent ones posted and recorded", run.delivered, post_seconds, None, ""))
        rows.append(("alerts: rerun, nothing pending", 0, rerun_seconds, None, ""))
    finally:
        server.shutdown()
        server.server_close()
    return rows


def bench_state(root: Path, n_records: int, baseline_rows: int) -> list[tuple]:
    home = Home(root / "state")
    home.root.mkdir(parents=True)
    rows = []
    with duckdb.connect(str(home.warehouse)) as con:
        ensure_schema(con)

        def batch(version: int) -> list[tuple[Change, RecordOutcome]]:
            return [(Change(f"001{i:012d}", f"C-{i}", {"Health_Score__c": (i + version) % 100},
                            f"fp{version}-{i}", "changed"), RecordOutcome(f"001{i:012d}", f"C-{i}", True, method="bulk"))
                    for i in range(n_records)]

        for version, label in ((1, "sync state: first batch (all new)"), (2, "sync state: batch over full state")):
            run = SyncRun(f"run-{version}", "salesforce", dt.datetime.now(dt.timezone.utc))
            writer = StateWriter(con, run, load_state(con, "salesforce"), permanent_attempts=3)
            pairs = batch(version)
            seconds = timed(lambda writer=writer, pairs=pairs: writer.apply(pairs))
            rows.append((label, n_records, seconds, None, ""))
        total = con.execute("select count(*), count(distinct record_id), min(fingerprint) "
                            "from reverse_etl.sync_state").fetchone()
        assert total == (n_records, n_records, "fp2-0"), total
        state = con.execute(f"select {', '.join(STATE_COLUMNS)} from reverse_etl.sync_state "
                            f"limit {baseline_rows}").df()
        base_seconds = timed(lambda: row_at_a_time(con, "reverse_etl.sync_state", "record_id", state))
        label, n, seconds, _, _ = rows[-1]
        rows[-1] = (label, n, seconds, base_seconds * n_records / max(len(state), 1),
                    f"row at a time, {len(state):,} timed, scaled")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=70_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--baseline-rows", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cs360-bookkeeping-") as tmp:
        table = bench_alerts(Path(tmp), args.alerts, args.baseline_rows) + \
            bench_state(Path(tmp), args.records, args.baseline_rows)
    print(f"{'stage':<44} {'rows':>8} {'seconds':>8} {'rows/s':>10} {'baseline s':>11} {'ratio':>7}  baseline")
    for stage, n, seconds, base, note in table:
        rate = f"{n / seconds:,.0f}" if n and seconds else "-"
        base_text = f"{base:.1f}" if base else "-"
        ratio = f"{base / seconds:.0f}x" if base and seconds else "-"
        print(f"{stage:<44} {n:>8,} {seconds:>8.2f} {rate:>10} {base_text:>11} {ratio:>7}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
