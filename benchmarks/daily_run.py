"""The full run and the daily run of `cs360 demo`, per stage, on one home.

    .venv/bin/python benchmarks/daily_run.py --size M            # world M, seed 42
    .venv/bin/python benchmarks/daily_run.py --size L --worlds /big/disk/worlds

The world is generated once into `--worlds` and cut at its last day - 1 (contract
section 4). On an empty home, `cs360 demo --world <cut>` is the full run; then, on the
same home, the daily run is `cs360 demo` on the full world the way the company's systems
show it a day later (`sandbox.world.cut.day_later`): the full world's tables, and as event
files the cut world's files unchanged plus one file of the last day's events, as a
product's event log grows. The cursors, the event files already read and the incremental
models carry over. Each
demo is a child process; its whole process tree (the sandbox's process included) is
sampled from /proc every 0.2 s for the peak resident memory. Per step (each source, dbt,
each CRM sync ...) the seconds come from the Dagster run's step statistics in the home's
instance, the rows from the step's materializations (`rows_loaded`, `records_succeeded`).
The ratio column is daily / full: the goal is 0.10 or less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ROW_METADATA = ("rows_loaded", "records_succeeded")  # raw tables; CRM syncs


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def worlds_for(folder: Path, size: str, seed: int) -> tuple[Path, Path]:  # (cut, a day later)
    """The world cut a day before the end, and the full world a day later, as its own
    systems show it (its event folder grown by a file); written once and reused."""
    from sandbox.world.cut import cut_world, day_later
    from sandbox.world.format import read_meta
    from sandbox.world.generator import generate_world

    full, cut = folder / f"{size.lower()}-seed{seed}", folder / f"{size.lower()}-seed{seed}-day-before"
    if not (full / "meta.json").exists():
        say(f"writing the {size} world (seed {seed}) to {full}")
        generate_world(full, size=size, seed=seed)
    if not (cut / "meta.json").exists():
        day = date.fromisoformat(read_meta(full)["as_of"]) - timedelta(days=1)
        say(f"cutting it at {day} into {cut}")
        cut_world(full, cut, day)
    later = folder / f"{size.lower()}-seed{seed}-day-later"
    if not (later / "meta.json").exists():
        say(f"the full world a day after {cut} into {later}")
        day_later(cut, full, later)
    return cut, later


# -- peak memory of a process tree, from /proc (Linux) ------------------------------------

def _tree_rss_bytes(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            resident = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in () may hold spaces
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = resident * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


class PeakMemory:
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# -- one demo and its steps ---------------------------------------------------------------

def run_demo(home: Path, world: Path, log: Path) -> dict:
    env = {**os.environ, "CS360_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen([sys.executable, "-m", "cs360.cli", "demo", "--world", str(world)],
                                 stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        with PeakMemory(child.pid) as memory:
            code = child.wait()
    steps, run_seconds = step_figures(home / "dagster")
    return {"exit": code, "seconds": time.perf_counter() - started, "peak_bytes": memory.peak,
            "steps": steps, "run_seconds": run_seconds}


def step_figures(dagster_home: Path) -> tuple[dict[str, dict], float]:
    """The newest run's steps (seconds, and the rows their materializations report) and the
    run's own wall time, from its start to its end (the sandbox's start-up left out)."""
    from dagster import DagsterEventType, DagsterInstance, EventRecordsFilter

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        run_stats = instance.get_run_stats(run.run_id)
        run_seconds = (run_stats.end_time or 0) - (run_stats.start_time or 0)
        steps = {s.step_key: {"seconds": (s.end_time or 0) - (s.start_time or 0), "rows": 0, "status": s.status.value}
                 for s in instance.get_run_step_stats(run.run_id)}
        records = instance.get_event_records(
            EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION), limit=100_000)
        for record in records:
            entry = record.event_log_entry
            if entry.run_id != run.run_id or entry.step_key not in steps:
                continue
            metadata = entry.dagster_event.step_materialization_data.materialization.metadata
            for name in ROW_METADATA:
                if name in metadata:
                    steps[entry.step_key]["rows"] += int(metadata[name].value or 0)
    return steps, run_seconds


def table(full: dict, daily: dict) -> str:
    head = f"{'stage':<44}{'rows':>12}{'full s':>9}{'rows/s':>11}{'daily rows':>12}{'daily s':>9}{'daily/full':>11}"
    lines = [head, "-" * len(head)]
    for key in sorted(full["steps"], key=lambda k: -full["steps"][k]["seconds"]):
        f, d = full["steps"][key], daily["steps"].get(key, {"seconds": 0.0, "rows": 0})
        rate = f"{f['rows'] / f['seconds']:>11,.0f}" if f["rows"] and f["seconds"] else f"{'':>11}"
        ratio = d["seconds"] / f["seconds"] if f["seconds"] else 0.0
        lines.append(f"{key:<44}{f['rows']:>12,}{f['seconds']:>9.1f}{rate}{d['rows']:>12,}{d['seconds']:>9.1f}"
                     f"{ratio:>11.2f}")
    lines.append(f"{'Dagster run, wall (the pipeline alone)':<44}{'':>12}{full['run_seconds']:>9.1f}{'':>11}"
                 f"{'':>12}{daily['run_seconds']:>9.1f}{daily['run_seconds'] / full['run_seconds']:>11.2f}")
    lines.append(f"{'whole demo, wall (start-up and sandbox included)':<44}{'':>12}{full['seconds']:>9.1f}{'':>11}"
                 f"{'':>12}{daily['seconds']:>9.1f}{daily['seconds'] / full['seconds']:>11.2f}")
    lines.append(f"{'peak RSS of the process tree, MiB':<44}{'':>12}{full['peak_bytes'] / 2**20:>9,.0f}{'':>11}"
                 f"{'':>12}{daily['peak_bytes'] / 2**20:>9,.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--worlds", type=Path, default=ROOT / ".cs360" / "benchmark" / "worlds")
    parser.add_argument("--home", type=Path, help="an empty folder for the run (default: a new one under --worlds)")
    args = parser.parse_args(argv)

    cut_world, later_world = worlds_for(args.worlds, args.size, args.seed)
    home = args.home or args.worlds / f"home-{args.size.lower()}-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    runs = {}
    for name, world in (("full", cut_world), ("daily", later_world)):
        say(f"{name} run: cs360 demo --world {world} (log {home / f'{name}.log'})")
        runs[name] = run_demo(home, world, home / f"{name}.log")
        say(f"{name} run: exit {runs[name]['exit']} in {runs[name]['seconds']:.1f} s")
    print(f"cs360 demo on the {args.size} world (seed {args.seed}): full run on the world cut a day "
          f"earlier, then the daily run on the full world a day later, same home")
    print(table(runs["full"], runs["daily"]))
    return max(run["exit"] for run in runs.values())


if __name__ == "__main__":
    raise SystemExit(main())
