"""Reverse ETL: the warehouse's account health → fields on the CRM account records.

One function per step so Dagster assets and the CLI share it: read the mapped model,
check match keys, write each destination in the vendor's batch size, record every
record's outcome in `reverse_etl.sync_runs` / `sync_records`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import duckdb
import pandas as pd

from cs360.settings import Home
from pipelines.credentials import hubspot_settings, salesforce_settings
from pipelines.salesforce.client import salesforce_client
from reverse_etl import hubspot as hubspot_writer
from reverse_etl import salesforce as salesforce_writer
from reverse_etl.audit import SyncRun, record_run
from reverse_etl.mapping import Destination, Mappings, load_mappings

DESTINATIONS = ("salesforce", "hubspot")


class SyncAborted(RuntimeError):
    """The sync stopped before any write because its input is unsafe to send."""


def planned_rows(con: duckdb.DuckDBPyConnection, model: str, destination: Destination) -> list[dict]:
    """Rows of the model that have a record in this destination; duplicate keys abort."""
    columns = ", ".join(dict.fromkeys(["account_id", destination.match_key, *destination.fields]))
    frame = con.execute(
        f"select {columns} from {model} where {destination.match_key} is not null order by account_id"
    ).df()
    duplicated = frame[destination.match_key][frame[destination.match_key].duplicated()]
    if not duplicated.empty:
        raise SyncAborted(
            f"{destination.name}: {destination.match_key} is not unique in {model} "
            f"({', '.join(map(str, duplicated.unique()[:5]))}); nothing was written"
        )
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def sync_destination(
    home: Home,
    name: str,
    mappings: Mappings | None = None,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> SyncRun:
    mappings = mappings or load_mappings()
    destination = mappings.destinations[name]
    with duckdb.connect(str(home.warehouse)) as con:
        rows = planned_rows(con, mappings.model, destination)
        run = SyncRun(uuid.uuid4().hex, name, pd.Timestamp.now(tz="UTC"), planned=len(rows), dry_run=dry_run)
        if dry_run:
            log(f"{name}: would update {len(rows)} {destination.object} records")
            for row in rows[:5]:
                log(f"  {row[destination.match_key]}: " + ", ".join(
                    f"{target}={row[column]!r}" for column, target in destination.fields.items()))
        else:
            _write(name, destination, rows, run)
            log(f"{name}: {run.succeeded} of {len(rows)} {destination.object} records updated "
                f"in {run.api_calls} API calls, {run.failed} failed")
        run.finished_at = pd.Timestamp.now(tz="UTC")
        record_run(con, run)
    return run


def _write(name: str, destination: Destination, rows: list[dict], run: SyncRun) -> None:
    if name == "salesforce":
        salesforce_writer.write(salesforce_client(salesforce_settings()), destination, rows, run)
    elif name == "hubspot":
        client = hubspot_writer.hubspot_client(hubspot_settings())
        hubspot_writer.ensure_properties(client, destination, run)
        hubspot_writer.write(client, destination, rows, run)
    else:
        raise ValueError(f"no writer for destination {name!r}")
