"""`cs360 status`: last run per stage (Dagster instance), freshness per source, sync state,
open alerts."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import DagsterInstance, RunsFilter

from cs360 import report
from cs360_core import warehouse
from cs360_core.settings import Home
from orchestration.automation import STAGE_JOBS
from orchestration.systems import System


def print_status(home: Home, systems: Sequence[System] | None = None) -> None:
    """`systems`: the registry by default (orchestration/systems.py)."""
    instance = DagsterInstance.get()
    print("last run per job:")
    for job in STAGE_JOBS.values():
        runs = instance.get_run_records(RunsFilter(job_name=job.name), limit=1)
        if runs:
            record = runs[0]
            print(f"  {job.name:<16} {record.dagster_run.status.value:<10} {record.create_timestamp:%Y-%m-%d %H:%M} UTC")
        else:
            print(f"  {job.name:<16} never run")
    if not warehouse.exists(home):
        print(f"no warehouse yet at {home.warehouse}")
        return
    with report.warehouse(home) as con:
        print("data freshness (last load per source):")
        for dataset, loaded_at in report.source_freshness(con, systems).items():
            print(f"  {dataset:<16} {loaded_at}")
        print_sync_status(con)
        bands = report.band_counts(con)
        print("health bands: " + (", ".join(f"{b} {n}" for b, n in bands.items()) or "not scored yet"))
        print(report.churn_model_status(con))
        print_alert_status(con)


def print_sync_status(con, out=print) -> None:
    from reverse_etl.audit import failing_records, last_runs, state_summary

    runs = last_runs(con)
    out("CRM sync (last run per destination):")
    if not runs:
        out("  never run")
    for run in runs:
        finished = f"{run['finished_at']:%Y-%m-%d %H:%M}" if run.get("finished_at") is not None else "?"
        status = run.get("status") or ("succeeded" if not run["failed"] else "partial")
        line = (f"  {run['destination']:<12} {finished}  {status}: planned {run['planned']}, sent {run['sent']}, "
                f"succeeded {run['succeeded']}, failed {run['failed']}")
        if run.get("unchanged") is not None:
            line += f", unchanged {run['unchanged']}"
        line += f"; {run['api_calls']} API calls"
        if run.get("method"):
            line += f" ({run['method']})"
        out(line)
        if run.get("error"):
            out(f"    stopped: {str(run['error']).splitlines()[0][:200]}")
    states = state_summary(con)
    if states:
        out("CRM sync state (records per destination):")
        for destination, counts in states.items():
            out(f"  {destination:<12} in sync {counts.get('synced', 0)}, retrying next run "
                f"{counts.get('retrying', 0)}, parked (permanent errors) {counts.get('parked', 0)}")
        failing = failing_records(con)
        if failing:
            out("  failing records (vendor's reason):")
            for r in failing:
                out(f"    {r['destination']:<10} {r['record_id']} (account {r['account_id']}) {r['status']} "
                    f"after {r['attempts']} tries: {r['last_error_code']}: {str(r['last_error'] or '')[:120]}")


def print_alert_status(con, out=print) -> None:
    from reverse_etl.alerts import alert_summary

    summary = alert_summary(con)
    if summary.get("missing"):
        out("alerts: marts.alerts not built yet")
        return
    if "open_by_kind" in summary:
        open_kinds = summary["open_by_kind"]
        out(f"open alerts: {sum(open_kinds.values())}"
            + (f" ({', '.join(f'{k} {n}' for k, n in open_kinds.items())})" if open_kinds else ""))
    kinds = ", ".join(f"{k} {n}" for k, n in summary["by_kind"].items())
    out(f"alerts raised: {summary['total']} ({kinds or 'none'}); posted {summary['delivered']}, "
        f"not posted yet {summary['undelivered']} (of which failing {summary['retrying']}), "
        f"parked {summary['parked']}")
    for line in summary["last_errors"]:
        out(f"  failing: {line[:200]}")
