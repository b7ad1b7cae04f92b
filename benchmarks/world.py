"""Time the world generator per size and print what it wrote.

    .venv/bin/python benchmarks/world.py                      # XS, S, M
    .venv/bin/python benchmarks/world.py --sizes XS,S,M,L     # L: ~20,000 accounts, two years
    .venv/bin/python benchmarks/world.py --sizes L --keep --out /some/dir

Each size runs in its own process (so its peak memory is its own) and writes into
`--out/<size>` (a temporary folder unless `--out` is given; removed unless `--keep`).
Progress lines go to stderr as they come; the table goes to stdout at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LIMIT_SECONDS = {"L": 180.0}  # issue 4: an L world in at most 3 minutes on 2 cores


def _one(size: str, seed: int, out: Path) -> dict:
    """Generate one world in this process and measure it."""
    import pyarrow.parquet as pq

    from sandbox.world.format import event_files, read_table
    from sandbox.world.generator import generate_world

    started, cpu = time.perf_counter(), time.process_time()

    def progress(line: str) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"  [{size} {time.perf_counter() - started:7.1f} s, peak {peak:,} MB] {line}", file=sys.stderr,
              flush=True)

    generate_world(out, size=size, seed=seed, progress=progress)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu  # all threads of this process
    files = [p for p in out.rglob("*") if p.is_file()]
    events = sum(pq.ParquetFile(p).metadata.num_rows for p in event_files(out))
    return {
        "size": size, "accounts": len(read_table(out, "accounts")), "events": events,
        "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2), "bytes": sum(p.stat().st_size for p in files),
        "event_bytes": sum(p.stat().st_size for p in event_files(out)), "files": len(files),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _table(rows: list[dict]) -> str:
    head = f"{'size':<5}{'accounts':>10}{'events':>13}{'seconds':>10}{'cpu s':>8}{'events/s':>12}" \
           f"{'files MB':>10}{'events MB':>11}{'peak MB':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        rate = r["events"] / r["seconds"] if r["seconds"] else 0.0
        lines.append(f"{r['size']:<5}{r['accounts']:>10,}{r['events']:>13,}{r['seconds']:>10.1f}{r['cpu_seconds']:>8.1f}{rate:>12,.0f}"
                     f"{r['bytes'] / 1e6:>10.1f}{r['event_bytes'] / 1e6:>11.1f}{r['peak_rss_mb']:>9,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="XS,S,M", help="comma-separated, from XS,S,M,L (default XS,S,M)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="folder for the worlds (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the worlds written")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = parser.parse_args(argv)

    if args.one:
        print(json.dumps(_one(args.one, args.seed, args.out)))
        return 0

    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    root = args.out or Path(tempfile.mkdtemp(prefix="cs360-world-bench-"))
    rows, slow = [], []
    try:
        for size in sizes:
            print(f"generating {size} (seed {args.seed}) into {root / size} …", file=sys.stderr, flush=True)
            done = subprocess.run([sys.executable, __file__, "--one", size, "--seed", str(args.seed),
                                   "--out", str(root / size)], stdout=subprocess.PIPE, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{size}: {row['events']:,} events in {row['seconds']:.1f} s", file=sys.stderr, flush=True)
            if row["seconds"] > LIMIT_SECONDS.get(size, float("inf")):
                slow.append(f"{size} took {row['seconds']:.0f} s (limit {LIMIT_SECONDS[size]:.0f} s)")
            if not args.keep:
                shutil.rmtree(root / size, ignore_errors=True)
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(root, ignore_errors=True)
    print(_table(rows))
    for line in slow:
        print(f"TOO SLOW: {line}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
