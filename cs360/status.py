"""`cs360 status`: last run per stage (Dagster instance), freshness per source, sync state."""

from __future__ import annotations

from dagster import DagsterInstance, RunsFilter

from cs360 import report
from cs360.settings import Home
from orchestration.automation import STAGE_JOBS


def print_status(home: Home) -> None:
    instance = DagsterInstance.get()
    print("last run per job:")
    for job in STAGE_JOBS.values():
        runs = instance.get_run_records(RunsFilter(job_name=job.name), limit=1)
        if runs:
            record = runs[0]
            print(f"  {job.name:<16} {record.dagster_run.status.value:<10} {record.create_timestamp:%Y-%m-%d %H:%M} UTC")
        else:
            print(f"  {job.name:<16} never run")
    if not home.warehouse.exists():
        print(f"no warehouse yet at {home.warehouse}")
        return
    with report.warehouse(home) as con:
        print("data freshness (last load per source):")
        for dataset, loaded_at in report.source_freshness(con).items():
            print(f"  {dataset:<16} {loaded_at}")
        print("CRM sync (last run per destination):")
        for run in report.last_sync_runs(con):
            print(f"  {run['destination']:<12} {run['finished_at']:%Y-%m-%d %H:%M}  planned {run['planned']}, "
                  f"succeeded {run['succeeded']}, failed {run['failed']}")
        bands = report.band_counts(con)
        print("health bands: " + (", ".join(f"{b} {n}" for b, n in bands.items()) or "not scored yet"))
