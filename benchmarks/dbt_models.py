"""dbt benchmark: the transform stage on a world's raw data, its slowest models named.

    .venv/bin/python benchmarks/dbt_models.py                 # M world, seed 7, top 15
    .venv/bin/python benchmarks/dbt_models.py --size L --top 25

The world is generated once into `--worlds` (default `<home>/benchmark/worlds`, shared with
the event benchmark) and ingested once through the sandbox into a raw-only warehouse that
is kept (`<home>/benchmark/dbt-<size>-seed<seed>/raw.duckdb`). Every measurement copies
that file back and runs the real transform stage (`cs360 run transform`: `dbt build` as
Dagster assets, with the walk-forward fits between its steps), so each is a full build
from raw. Model times come from the `run_results.json` each dbt invocation writes
(`execution_time` per node); the stage's wall time includes dbt's start-up and the fits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.world.format import read_meta  # noqa: E402
from sandbox.world.generator import generate_world  # noqa: E402


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def world_for(worlds: Path, size: str, seed: int) -> Path:
    folder = worlds / f"{size.lower()}-seed{seed}"
    try:
        meta = read_meta(folder)
        if meta["size"] == size and int(meta["seed"]) == seed:
            return folder
    except Exception:  # noqa: BLE001 - absent or half-written: generate it again
        pass
    shutil.rmtree(folder, ignore_errors=True)
    say(f"{size}: generating the world (seed {seed}) into {folder}")
    generate_world(folder, size=size, seed=seed)
    return folder


def node_times(target: Path, since: float) -> list[dict]:
    """Every node of every run_results.json written under `target` after `since`."""
    nodes = []
    for path in target.rglob("run_results.json"):
        if path.stat().st_mtime < since:
            continue
        for result in json.loads(path.read_text())["results"]:
            nodes.append({"unique_id": result["unique_id"], "status": result["status"],
                          "seconds": float(result.get("execution_time") or 0.0)})
    return nodes


def run(stage: str, home) -> tuple[float, list[str]]:
    """Seconds and the failed steps: a failing dbt test still leaves its build's times."""
    from cs360.runner import run_stage

    started = time.perf_counter()
    result = run_stage(home, stage, log=say, log_level="WARNING")
    return time.perf_counter() - started, [] if result.success else result.failed_steps()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--worlds", type=Path)
    parser.add_argument("--reingest", action="store_true", help="ingest the raw data again")
    args = parser.parse_args(argv)

    base = Path(os.environ.get("CS360_HOME") or ".cs360").resolve() / "benchmark"
    world = world_for(args.worlds or base / "worlds", args.size, args.seed)
    root = base / f"dbt-{args.size.lower()}-seed{args.seed}"
    root.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(root / "home" / "dagster")  # not the operator's instance
    from cs360_core.settings import resolve_home
    from sandbox.doubles.server import Sandbox

    home = resolve_home(root / "home")
    raw = root / "raw.duckdb"
    if args.reingest or not raw.exists():
        home.warehouse.unlink(missing_ok=True)
        shutil.rmtree(home.dlt_dir, ignore_errors=True)
        say(f"{args.size}: ingesting the world once into {raw}")
        with Sandbox(world, home.sandbox_dir) as sandbox:
            os.environ.update(sandbox.env)
            seconds, failed = run("ingest", home)
            if failed:
                raise SystemExit(f"ingest failed: {', '.join(failed)}")
            say(f"{args.size}: ingest in {seconds:.1f} s")
        shutil.copyfile(home.warehouse, raw)
    shutil.copyfile(raw, home.warehouse)
    shutil.rmtree(home.dbt_target, ignore_errors=True)  # a fresh manifest, and only this build's results

    started = time.time()
    seconds, failed = run("transform", home)
    nodes = node_times(home.dbt_target, started)
    models = sorted((n for n in nodes if n["unique_id"].startswith("model.")), key=lambda n: -n["seconds"])
    tests = [n for n in nodes if n["unique_id"].startswith("test.")]
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # dbt runs as a child

    meta = read_meta(world)
    print(f"dbt on the {args.size} world (seed {args.seed}, as of {meta['as_of']}), full build from raw")
    print(f"{'rank':>4}  {'model':<52} {'seconds':>8} {'share':>6}")
    model_total = sum(n["seconds"] for n in models)
    for rank, node in enumerate(models[: args.top], start=1):
        name = node["unique_id"].split(".", 2)[-1]
        print(f"{rank:>4}  {name:<52} {node['seconds']:>8.2f} {node['seconds'] / model_total:>6.1%}")
    print(f"{'':>4}  {f'all {len(models)} models':<52} {model_total:>8.2f}")
    print(f"{'':>4}  {f'all {len(tests)} tests':<52} {sum(n['seconds'] for n in tests):>8.2f}")
    print(f"{'':>4}  {'transform stage, wall (dbt start-up and fits included)':<52} {seconds:>8.2f}")
    print(f"{'':>4}  {'peak RSS of the dbt process, MiB':<52} {peak_mib:>8.0f}")
    skipped = [n["unique_id"] for n in models if n["status"] == "skipped"]
    if failed:
        print(f"transform FAILED in {', '.join(failed)}: "
              f"{sum(n['status'] in ('error', 'fail') for n in nodes)} nodes failed, {len(skipped)} models skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
