"""Reverse-ETL benchmark: 20,000 changed accounts to each CRM double, then a no-change
rerun, against a one-call-per-record baseline measured in the same run.

    .venv/bin/python benchmarks/sync.py                      # 20,000 per CRM
    .venv/bin/python benchmarks/sync.py --accounts 2000 --baseline-records 2000

The world is written here with only what the CRM doubles need (accounts; every other
world file has its header only), so no event history is generated. The warehouse holds
only the sync's input, `marts.crm_account_health`. API calls are counted from the
doubles' request log, not from the sync's own counters.

The baseline writes the same values with one REST call per record (Salesforce
`PATCH sobjects/Account/{id}` through simple-salesforce, HubSpot
`PATCH crm/v3/objects/companies/{id}` through hubspot-api-client). By default it runs on
every record; `--baseline-records N` times the first N and scales the seconds linearly
(the table says so). The doubles' daily API allowances are lifted for the benchmark: at the
Salesforce default of 15,000 requests a day the baseline could not even finish.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs360_core.settings import Home  # noqa: E402
from reverse_etl.mapping import load_mappings  # noqa: E402
from cs360_core.http import RetryPolicy  # noqa: E402
from reverse_etl.sync import sync_destination  # noqa: E402
from reverse_etl.values import hubspot_value, salesforce_value  # noqa: E402
from sandbox.doubles.server import Sandbox  # noqa: E402
from sandbox.world.format import EVENT_COLUMNS, EVENTS_DIR, WORLD_TABLES  # noqa: E402

BANDS = ("red", "yellow", "green")
STAGES = ("onboarding", "adoption", "renewal")


def write_world(path: Path, per_crm: int) -> None:
    """Accounts only: `per_crm` in each CRM (the doubles add a tenth of each to the other)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "meta.json").write_text(json.dumps(
        {"as_of": "2025-06-30", "seed": 0, "size": f"bench-{per_crm}", "generator": "benchmarks/sync.py"}))
    for name, columns in WORLD_TABLES.items():
        with (path / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            if name == "accounts":
                for i in range(2 * per_crm):
                    writer.writerow([f"B-{i:06d}", f"Bench Account {i}", f"bench{i}.example", "Software", "100",
                                     "US", "salesforce" if i % 2 == 0 else "hubspot", f"csm{i % 40}@cs.example",
                                     "2024-01-01T00:00:00Z"])
    (path / EVENTS_DIR).mkdir(exist_ok=True)
    empty = pa.table({c: pa.array([], pa.string()) for c in EVENT_COLUMNS})
    pq.write_table(empty, path / EVENTS_DIR / "events-empty.parquet")


def model_rows(sandbox, per_crm: int, version: int) -> list[dict]:
    """`per_crm` records of each CRM; every value depends on `version`."""
    sf = sorted(r["Id"] for r in sandbox.salesforce.records("Account"))[:per_crm]
    hs = sorted((c["id"] for c in sandbox.hubspot.objects("companies")), key=int)[:per_crm]
    rows = []
    for i in range(max(len(sf), len(hs))):
        rows.append({
            "account_id": f"M-{i:06d}",
            "salesforce_account_id": sf[i] if i < len(sf) else None,
            "hubspot_company_id": hs[i] if i < len(hs) else None,
            "health_score": round((i * 7 + version * 13) % 1000 / 10, 1),
            "health_band": BANDS[(i + version) % 3],
            "score_change_30d": round(((i + version) % 41 - 20) / 2, 1),
            "top_reasons": f"usage {'up' if (i + version) % 2 else 'down'}; {(i + version) % 7} open tickets",
            "lifecycle_stage": STAGES[i % 3],
            "churn_risk": round(((i * 31 + version) % 1000) / 1000, 3),
            "scored_at": dt.datetime(2025, 6, 30) + dt.timedelta(days=version),
        })
    return rows


def write_model(home: Home, rows: list[dict]) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.register("rows_frame", frame)
        con.execute("create or replace table marts.crm_account_health as select * from rows_frame")
        con.unregister("rows_frame")
        # the sync gates' inputs, passing: every tenant matched, one day of bands
        con.execute("create or replace table marts.identity_bridge as select 'product' as source_system, "
                    "account_id as source_id, account_id from marts.crm_account_health")
        con.execute("create or replace table marts.health_scores as select account_id, "
                    "cast(scored_at as date) as as_of_date, health_band from marts.crm_account_health")
        con.execute("create or replace table marts.health_band_stability as select max(as_of_date) as as_of_date, "
                    "cast(null as double) as band_psi from marts.health_scores")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def measure(sandbox, vendor: str, fn) -> dict:
    sandbox.request_log.clear()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    entries = sandbox.request_log.entries(vendor)
    return {"calls": len(entries), "writes": sum(e["method"] != "GET" for e in entries), "seconds": seconds,
            "result": result}


def baseline(sandbox, vendor: str, rows: list[dict], limit: int | None) -> dict:
    """One REST call per record with the same wire values the sync sends."""
    from hubspot import HubSpot
    from hubspot.crm.companies import SimplePublicObjectInput
    from simple_salesforce import Salesforce

    destination = load_mappings().destinations[vendor]
    key = destination.match_key
    targets = [(f.column, f.target) for f in destination.field_maps]
    records = [r for r in rows if r[key]]
    sample = records[:limit] if limit else records
    env = sandbox.env
    if vendor == "salesforce":
        client = Salesforce(instance_url=env["SALESFORCE_INSTANCE_URL"], session_id=env["SALESFORCE_ACCESS_TOKEN"],
                            version="62.0")

        def run():
            for r in sample:
                client.Account.update(r[key], {t: salesforce_value(r[c]) for c, t in targets})
    else:
        client = HubSpot(access_token=env["HUBSPOT_ACCESS_TOKEN"], host=env["HUBSPOT_BASE_URL"])

        def run():
            for r in sample:
                client.crm.companies.basic_api.update(
                    r[key], SimplePublicObjectInput(properties={t: hubspot_value(r[c]) for c, t in targets}))

    measured = measure(sandbox, vendor, run)
    scale = len(records) / len(sample)
    return {**measured, "records": len(records), "sampled": len(sample),
            "calls": round(measured["calls"] * scale), "writes": round(measured["writes"] * scale),
            "seconds": measured["seconds"] * scale}


def check_double(sandbox, rows: list[dict], vendor: str) -> int:
    """How many records of the model the double does not hold exactly (0 is the goal)."""
    if vendor == "salesforce":
        held = {r["Id"]: r for r in sandbox.salesforce.records("Account")}
        return sum(1 for r in rows if r["salesforce_account_id"] and (
            held[r["salesforce_account_id"]]["CS_Health_Score__c"] != r["health_score"]
            or held[r["salesforce_account_id"]]["CS_Health_Band__c"] != r["health_band"]
            or held[r["salesforce_account_id"]]["CS_Churn_Risk__c"] != r["churn_risk"]))
    held = {c["id"]: c["properties"] for c in sandbox.hubspot.objects("companies")}
    return sum(1 for r in rows if r["hubspot_company_id"] and (
        float(held[r["hubspot_company_id"]]["cs_health_score"]) != r["health_score"]
        or held[r["hubspot_company_id"]]["cs_health_band"] != r["health_band"]
        or float(held[r["hubspot_company_id"]]["cs_churn_risk"]) != r["churn_risk"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000, help="changed accounts per CRM")
    parser.add_argument("--baseline-records", type=int, default=None,
                        help="time the baseline on this many records per CRM and scale (default: all)")
    parser.add_argument("--workdir", type=Path, default=None, help="where world, sandbox and warehouse go")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cs360-bench-sync-"))
    world, home = workdir / "world", Home(workdir / "home")
    home.root.mkdir(parents=True, exist_ok=True)
    home.warehouse.unlink(missing_ok=True)
    write_world(world, args.accounts)
    quiet = lambda line: None  # noqa: E731
    table = []
    with Sandbox(world, workdir / "sandbox", ports={"salesforce": 0, "hubspot": 0}) as sandbox:
        os.environ.update(sandbox.env)
        # lift the doubles' daily allowances: the baseline alone exceeds Salesforce's default
        sandbox.salesforce.daily_api_limit = 10**9
        sandbox.hubspot.daily_limit = 10**9
        rows = model_rows(sandbox, args.accounts, version=1)
        write_model(home, rows)
        policy = RetryPolicy()
        for vendor in ("salesforce", "hubspot"):
            n = sum(1 for r in rows if r[load_mappings().destinations[vendor].match_key])
            say(f"{vendor}: sync of {n:,} changed rows")
            first = measure(sandbox, vendor, lambda vendor=vendor: sync_destination(home, vendor, policy=policy, log=quiet))
            wrong = check_double(sandbox, rows, vendor)
            rerun = measure(sandbox, vendor, lambda vendor=vendor: sync_destination(home, vendor, policy=policy, log=quiet))
            method = first["result"].method
            table.append((vendor, f"cs360 sync, {n:,} changed ({method})", n, first, wrong))
            table.append((vendor, "cs360 sync, no change (rerun)", 0, rerun, None))
            if vendor == "salesforce":  # the same 20,000 through sObject Collections, for comparison
                import dataclasses

                mappings = load_mappings()
                no_bulk = dataclasses.replace(mappings, destinations={
                    **mappings.destinations,
                    "salesforce": dataclasses.replace(mappings.destinations["salesforce"], bulk_threshold=None)})
                rows_v2 = model_rows(sandbox, args.accounts, version=2)
                write_model(home, rows_v2)
                coll = measure(sandbox, vendor, lambda no_bulk=no_bulk: sync_destination(home, "salesforce", no_bulk, policy=policy,
                                                                         log=quiet))
                table.append((vendor, f"cs360 sync, {n:,} changed (collections, bulk off)", n, coll,
                              check_double(sandbox, rows_v2, vendor)))
                write_model(home, rows)
            say(f"{vendor}: baseline, one call per record")
            rows_v3 = model_rows(sandbox, args.accounts, version=3)
            base = baseline(sandbox, vendor, rows_v3, args.baseline_records)
            label = "baseline, one call per record"
            if base["sampled"] < base["records"]:
                label += f" (timed on {base['sampled']:,}, scaled)"
            table.append((vendor, label, base["records"], base, check_double(sandbox, rows_v3, vendor)
                          if base["sampled"] == base["records"] else None))
            table.append((vendor, "baseline rerun (no diff state: sends all again)", 0, base, None))

    print()
    print(f"Reverse ETL benchmark: {args.accounts:,} accounts per CRM (command: "
          f"{' '.join(['.venv/bin/python', 'benchmarks/sync.py', *(argv if argv is not None else sys.argv[1:])])})")
    print()
    print("| CRM | run | rows changed | API calls | write calls | seconds | records wrong after |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for vendor, label, changed, m, wrong in table:
        print(f"| {vendor} | {label} | {changed:,} | {m['calls']:,} | {m['writes']:,} | {m['seconds']:.1f} | "
              f"{'' if wrong is None else wrong} |")
    print()
    for vendor in ("salesforce", "hubspot"):
        ours = next(m for v, label, _, m, _ in table if v == vendor and label.startswith("cs360 sync") and
                    "changed" in label)
        base = next(m for v, label, _, m, _ in table if v == vendor and label.startswith("baseline, one"))
        print(f"{vendor}: {base['calls'] / max(ours['calls'], 1):,.0f}x fewer API calls, "
              f"{base['seconds'] / max(ours['seconds'], 1e-9):,.1f}x less time than one call per record")
    print(f"work folder: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
