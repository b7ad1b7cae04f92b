"""`cs360 demo`: a world, the vendor sandbox serving it, and the Dagster job over both.

The sandbox (world generator and vendor doubles) is the `cs360[sandbox]` extra, imported
only when a demo runs: the runtime install does without it."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from cs360 import report
from cs360.runner import run_stage
from cs360_core import warehouse
from cs360_core.settings import Home


def prepare_world(home: Home, size: str, seed: int, world: Path | None) -> Path:
    from sandbox.world.format import read_meta
    from sandbox.world.generator import generate_world

    if world:
        read_meta(world)  # fail early with a clear message if it is not a world
        return world
    wanted = {"size": size, "seed": seed}
    target = home.demo_world
    if target.exists():
        meta = read_meta(target)
        if {"size": meta["size"], "seed": meta["seed"]} == wanted:
            return target
        shutil.rmtree(target)
    print(f"writing a size {size} world (seed {seed}) to {target}")
    generate_world(target, size=size, seed=seed, progress=lambda line: print(f"  {line}"))
    return target


def same_company(previous: dict, world: dict) -> bool:
    """Two worlds of one company: the same meta (seed, size, generator, mechanism...) but
    `as_of`, which may only move forward. A world cut at an earlier day (`sandbox.world.cut`)
    followed by the full one is that company a day later."""
    def identity(meta: dict) -> dict:
        return {k: v for k, v in meta.items() if k not in ("as_of", "world")}

    return identity(previous) == identity(world) and str(previous.get("as_of")) <= str(world.get("as_of"))


def reset_if_new_world(home: Home, world: Path) -> None:
    """A warehouse holds one company: another company's world starts from an empty
    warehouse. The same company at a later `as_of` keeps the warehouse and the sources'
    cursors, so the run reads only what changed, like a daily run (the sandbox is new each
    time, with new ports and tokens: cursors live in dlt's state, not with the endpoint)."""
    from sandbox.world.format import read_meta

    marker = home.root / "demo" / "loaded_world.json"
    current = {"world": str(world.resolve()), **read_meta(world)}
    if marker.exists():
        previous = json.loads(marker.read_text())
        if not same_company(previous, current):
            print("a different world than last time: starting from an empty warehouse")
            warehouse.drop_own_schemas(home)
            shutil.rmtree(home.dlt_dir, ignore_errors=True)
        elif previous.get("as_of") != current.get("as_of"):
            print(f"the same world, now as of {current['as_of']} (was {previous['as_of']}): "
                  "reading what changed since the last run")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(current, sort_keys=True))


def run_demo(home: Home, size: str = "S", seed: int = 42, world: Path | None = None,
             stage_name: str = "all") -> int:
    from sandbox.doubles.process import SandboxProcess

    world_dir = prepare_world(home, size, seed, world)
    reset_if_new_world(home, world_dir)
    started = time.monotonic()
    # the doubles serve from their own process: the run's time and memory are the pipeline's
    with SandboxProcess(world_dir, home.sandbox_dir) as sandbox:
        os.environ.update(sandbox.env)
        print(f"sandbox up: Salesforce {sandbox.env['SALESFORCE_INSTANCE_URL']}, "
              f"HubSpot {sandbox.env['HUBSPOT_BASE_URL']}")
        stage = run_stage(home, stage_name, parallel=True)
    print_summary(home, stage, time.monotonic() - started)
    return 0 if stage.success and not _sync_failures(home) else 1


def _sync_failures(home: Home) -> int:
    with report.warehouse(home) as con:
        return sum(run["failed"] for run in report.last_sync_runs(con))


def print_summary(home: Home, stage, seconds: float) -> None:
    print()
    print(f"job {stage.job_name}: {'succeeded' if stage.success else 'FAILED'} in {seconds:.1f} s")
    for step in stage.failed_steps():
        print(f"  failed step: {step}")
    if warehouse.exists(home):
        with report.warehouse(home) as con:
            print("rows per source table:")
            for table, count in report.raw_row_counts(con).items():
                print(f"  {table:<32} {count:>10,}")
            bands = report.band_counts(con)
            print(f"accounts scored: {sum(bands.values())} of {report.customer_count(con)}  "
                  + "  ".join(f"{band}: {n}" for band, n in bands.items()))
            for run in report.last_sync_runs(con):
                print(f"CRM {run['destination']}: {run['succeeded']} records updated, {run['failed']} failed, "
                      f"{run['api_calls']} API calls")
            alerts = report.alert_delivery_counts(con)
            if alerts:
                print("alerts to the webhook: " + ", ".join(f"{status} {n}" for status, n in alerts.items()))
    print(f"warehouse: {warehouse.describe(home)}")
    print(f"explore it: DAGSTER_HOME={home.dagster_home} CS360_HOME={home.root} "
          f".venv/bin/dagster dev   (from the repository root; or `make dev`)")
