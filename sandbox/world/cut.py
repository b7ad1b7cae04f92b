"""Cut a world at day T (contract section 4): the world as it stood at the end of T.

Every row created after T is removed, later timestamps are blanked (with what follows
from them: a ticket not yet solved has no CSAT and is open or pending), contracts ending
after T are open again, and ``meta.json`` says ``as_of = T``. Events are cut by
``occurred_at`` and stay in the month file they were written in; a file the cut leaves
whole is copied as it is (same bytes, same modification time), so a pipeline that read
it from one world knows it in the other.

`day_later` is the other direction, the way a product's event log really moves on: the
later world's tables, with the earlier world's event files unchanged and one new file of
the events that happened since (files in a bucket only grow; none is rewritten).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.world.format import EVENTS_DIR, WORLD_TABLES, event_files, read_meta, read_table

# per table: the timestamp that creates a row, and the ones blanked when they come later
_CREATED = {"accounts": "created_at", "tenants": "created_at", "product_users": "created_at",
            "tickets": "created_at", "survey_invitations": "sent_at", "survey_responses": "responded_at",
            "enrollments": "registered_at", "activities": "occurred_at"}
_LATER = {"tickets": ["first_response_at", "solved_at"], "enrollments": ["attended_at", "completed_at"],
          "activities": ["deleted_at"]}


def cut_world(src: Path, dst: Path, day: date) -> dict:
    """Write the world `src` as of the end of `day` into `dst`; return its meta."""
    src, dst = Path(src), Path(dst)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)
    (dst / EVENTS_DIR).mkdir(parents=True, exist_ok=True)
    tables = {name: read_table(src, name) for name in WORLD_TABLES}

    def before(values: pd.Series) -> pd.Series:
        ts = pd.to_datetime(values, utc=True, format="ISO8601")
        return ts.notna() & (ts < end)

    for name, column in _CREATED.items():
        tables[name] = tables[name][before(tables[name][column])].copy()
    for name, columns in _LATER.items():
        for column in columns:
            frame = tables[name]
            frame.loc[~before(frame[column]), column] = None
    tickets = tables["tickets"]
    unsolved = tickets["solved_at"].isna()
    tickets.loc[unsolved, "csat"] = None
    tickets.loc[unsolved, "status"] = tickets.loc[unsolved, "first_response_at"].isna().map(
        {True: "open", False: "pending"})
    done = tables["enrollments"]["attended_at"].isna()
    tables["enrollments"].loc[done, "completed_at"] = None

    accounts = set(tables["accounts"]["account_id"])
    contracts = tables["contracts"]
    contracts = contracts[contracts["account_id"].isin(accounts)
                          & (pd.to_datetime(contracts["start_date"]).dt.date <= day)].copy()
    contracts.loc[pd.to_datetime(contracts["end_date"]).dt.date > day, "renewed"] = None
    tables["contracts"] = contracts
    tables["contacts"] = tables["contacts"][tables["contacts"]["account_id"].isin(accounts)]
    tables["activities"] = tables["activities"][tables["activities"]["account_id"].isin(accounts)]
    tenants = tables["tenants"]
    tables["tenants"] = tenants[tenants["account_id"].isna() | tenants["account_id"].isin(accounts)]
    users = tables["product_users"]
    tables["product_users"] = users[users["tenant_id"].isin(set(tables["tenants"]["tenant_id"]))]
    invitations = set(tables["survey_invitations"]["invitation_id"])
    responses = tables["survey_responses"]
    tables["survey_responses"] = responses[responses["invitation_id"].isin(invitations)]

    for name, frame in tables.items():
        frame[WORLD_TABLES[name]].to_csv(dst / f"{name}.csv", index=False, lineterminator="\n",
                                         encoding="utf-8")
    limit = pa.scalar(int(end.timestamp() * 1_000_000), pa.timestamp("us", tz="UTC"))
    for path in event_files(src):
        table = pq.read_table(path)
        kept = table.filter(pc.less(table.column("occurred_at"), limit))
        if kept.num_rows == table.num_rows:
            shutil.copy2(path, dst / EVENTS_DIR / path.name)
        elif kept.num_rows:
            pq.write_table(kept, dst / EVENTS_DIR / path.name)
    meta = {**read_meta(src), "as_of": day.isoformat()}
    (dst / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def day_later(earlier: Path, later: Path, dst: Path) -> dict:
    """Write into `dst` the world `later` as the company's own systems would show it after
    `earlier`: `later`'s tables and meta, and as event files `earlier`'s files unchanged
    (hard links where the disk allows, else copies keeping their modification time) plus
    `events/<later as_of>.parquet` with `later`'s events that `earlier` does not have (those
    that occurred after its as_of). The events are `later`'s, exactly; only their files
    differ. Return the meta."""
    earlier, later, dst = Path(earlier), Path(later), Path(dst)
    since = date.fromisoformat(read_meta(earlier)["as_of"])
    meta = read_meta(later)
    if date.fromisoformat(meta["as_of"]) <= since:
        raise ValueError(f"{later} is as of {meta['as_of']}, not after {earlier} ({since})")
    (dst / EVENTS_DIR).mkdir(parents=True, exist_ok=True)
    for name in WORLD_TABLES:
        if (later / f"{name}.csv").exists():
            shutil.copy2(later / f"{name}.csv", dst / f"{name}.csv")
    for path in event_files(earlier):
        target = dst / EVENTS_DIR / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    start = pa.scalar(int(datetime.combine(since + timedelta(days=1), time(), tzinfo=timezone.utc).timestamp()
                          * 1_000_000), pa.timestamp("us", tz="UTC"))
    new = [table.filter(pc.greater_equal(table.column("occurred_at"), start))
           for table in (pq.read_table(path) for path in event_files(later))]
    new = pa.concat_tables([table for table in new if table.num_rows] or new[:1])
    if new.num_rows:
        pq.write_table(new, dst / EVENTS_DIR / f"{meta['as_of']}.parquet", compression="zstd")
    (dst / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
