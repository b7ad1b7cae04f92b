"""Event-load benchmark: the product source's event files into a fresh DuckDB, against
DuckDB's own `CREATE TABLE AS SELECT * FROM read_parquet(...)` on the same files, in the
same run.

    .venv/bin/python benchmarks/ingest_events.py                  # M and L worlds, seed 7
    .venv/bin/python benchmarks/ingest_events.py --sizes M --repeat 3

Worlds are generated once into `--worlds` (default `<home>/benchmark/worlds`) and reused.
Each measurement starts from an empty warehouse file and, for dlt, an empty pipeline
folder. The dlt side is the real path: `pipelines.product` (its `events` resource, the
product database is not touched) through `pipelines.warehouse.warehouse_pipeline`, i.e.
extract (parquet -> Arrow batches -> load package), normalize and load into DuckDB. The
native side is one statement. With `--repeat N` both sides run N times, interleaved, and
the best time of each counts (the machine may be shared). The ratio is dlt rows/s over
native rows/s: 1.0 is the physical limit, the goal is 0.8 or more (a plain dlt resource
yielding Arrow batches reached 0.92 on the same machine).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs360_core.settings import Home, resolve_home  # noqa: E402
from pipelines.credentials import ProductSettings  # noqa: E402
from pipelines.product import product  # noqa: E402
from pipelines.warehouse import warehouse_pipeline  # noqa: E402
from sandbox.world.format import EVENTS_DIR, read_meta  # noqa: E402
from sandbox.world.generator import generate_world  # noqa: E402

GOAL_RATIO = 0.8


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Result:
    size: str
    rows: int
    native_s: float
    dlt_s: float
    dlt_steps: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.native_s / self.dlt_s


def world_for(worlds: Path, size: str, seed: int) -> Path:
    folder = worlds / f"{size.lower()}-seed{seed}"
    try:
        meta = read_meta(folder)
        if meta["size"] == size and int(meta["seed"]) == seed:
            say(f"{size}: reusing the world in {folder}")
            return folder
    except Exception:  # noqa: BLE001 - absent or half-written: generate it again
        pass
    shutil.rmtree(folder, ignore_errors=True)
    say(f"{size}: generating the world (seed {seed}) into {folder}")
    started = time.perf_counter()
    generate_world(folder, size=size, seed=seed)
    say(f"{size}: world written in {time.perf_counter() - started:.1f}s")
    return folder


def native_load(world: Path, workdir: Path) -> tuple[int, float]:
    target = workdir / "native.duckdb"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(target)) as con:
        con.execute(f"create table events as select * from read_parquet('{world / EVENTS_DIR}/*.parquet')")
        rows = con.execute("select count(*) from events").fetchone()[0]
    return rows, time.perf_counter() - started


def dlt_load(world: Path, workdir: Path) -> tuple[int, float, dict[str, float]]:
    root = workdir / "dlt-home"
    shutil.rmtree(root, ignore_errors=True)
    home = Home(root)
    root.mkdir(parents=True)
    settings = ProductSettings(db_url="sqlite:///unused.db", events_path=str(world / EVENTS_DIR))
    pipeline = warehouse_pipeline("product", home)
    steps: dict[str, float] = {}
    started = time.perf_counter()
    pipeline.extract(product(settings).with_resources("events"))
    steps["extract"] = time.perf_counter() - started
    pipeline.normalize()
    steps["normalize"] = time.perf_counter() - started - steps["extract"]
    pipeline.load().raise_on_failed_jobs()
    elapsed = time.perf_counter() - started
    steps["load"] = elapsed - steps["extract"] - steps["normalize"]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from raw_product.events").fetchone()[0]
    return rows, elapsed, steps


def bench(size: str, world: Path, workdir: Path, repeat: int) -> Result:
    expected = sum(pq.ParquetFile(p).metadata.num_rows for p in sorted((world / EVENTS_DIR).glob("*.parquet")))
    say(f"{size}: {expected:,} events in {len(list((world / EVENTS_DIR).glob('*.parquet')))} parquet files")
    best_native = best_dlt = float("inf")
    best_steps: dict[str, float] = {}
    for attempt in range(1, repeat + 1):
        say(f"{size}: native read_parquet into DuckDB (run {attempt}/{repeat})")
        rows, seconds = native_load(world, workdir)
        assert rows == expected, f"native loaded {rows} rows, the files hold {expected}"
        say(f"{size}:   native {seconds:.2f}s, {rows / seconds:,.0f} rows/s")
        best_native = min(best_native, seconds)
        say(f"{size}: dlt product source, events resource (run {attempt}/{repeat})")
        rows, seconds, steps = dlt_load(world, workdir)
        assert rows == expected, f"dlt loaded {rows} rows, the files hold {expected}"
        say(f"{size}:   dlt {seconds:.2f}s, {rows / seconds:,.0f} rows/s "
            f"(extract {steps['extract']:.2f}s, normalize {steps['normalize']:.2f}s, load {steps['load']:.2f}s)")
        if seconds < best_dlt:
            best_dlt, best_steps = seconds, steps
    shutil.rmtree(workdir / "dlt-home", ignore_errors=True)
    (workdir / "native.duckdb").unlink(missing_ok=True)
    return Result(size, expected, best_native, best_dlt, best_steps)


def table(results: list[Result]) -> str:
    lines = ["| world | rows | native s | native rows/s | dlt s | dlt rows/s | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.size} | {r.rows:,} | {r.native_s:.2f} | {r.rows / r.native_s:,.0f} | {r.dlt_s:.2f} | "
                     f"{r.rows / r.dlt_s:,.0f} | {r.ratio:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["M", "L"], choices=["XS", "S", "M", "L"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--home", default=None, help="cs360 home (default: CS360_HOME or ./.cs360)")
    parser.add_argument("--worlds", default=None, help="where worlds are generated and reused")
    parser.add_argument("--workdir", default=None, help="scratch folder for the warehouses")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the best time counts")
    args = parser.parse_args(argv)

    home = resolve_home(args.home)
    worlds = Path(args.worlds) if args.worlds else home.root / "benchmark" / "worlds"
    workdir = Path(args.workdir) if args.workdir else home.root / "benchmark" / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        world = world_for(worlds, size, args.seed)
        results.append(bench(size, world, workdir, args.repeat))
    print()
    print(table(results))
    goal = all(r.ratio >= GOAL_RATIO for r in results)
    print(f"\ngoal (ratio >= {GOAL_RATIO}): {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
