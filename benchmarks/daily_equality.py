"""The daily run builds the marts a full build makes: one home runs `cs360 demo` on a world
cut a day before its end and then on the full world a day later (incremental models add
a day), another home runs the full world a day later once; every dbt table (staging,
intermediate, marts) is compared with EXCEPT ALL both ways.

    .venv/bin/python benchmarks/daily_equality.py --size XS
    .venv/bin/python benchmarks/daily_equality.py --size S --worlds <folder>

Exit 0 when every table holds the same rows in both homes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.daily_run import say, worlds_for  # noqa: E402

LOAD_COLUMNS = ("dlt_load_id", "_dlt_load_id")  # which load wrote a row differs between the homes by nature
SCHEMAS = ("staging", "intermediate", "marts")  # tables; views compute from them


def demo(home: Path, world: Path) -> None:
    env = {**os.environ, "CS360_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with (home.parent / f"{home.name}.log").open("a") as log:
        code = subprocess.call([sys.executable, "-m", "cs360.cli", "demo", "--world", str(world)],
                               stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    if code:
        raise SystemExit(f"cs360 demo --world {world} on {home} exited {code} (log {home.parent / home.name}.log)")


def differences(daily: Path, full: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows, rows only in the daily home, rows only in the full build)."""
    out = {}
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"attach '{full / 'warehouse.duckdb'}' as full_build (read_only)")
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_catalog = current_database() and table_type = 'BASE TABLE' and table_schema in "
                             f"({', '.join(repr(s) for s in SCHEMAS)}) order by 1, 2").fetchall()
        for schema, table in tables:
            name = f"{schema}.{table}"
            columns = ", ".join(f'"{c}"' for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = current_database() "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
                if c not in LOAD_COLUMNS)
            rows = con.execute(f"select count(*) from {name}").fetchone()[0]
            only_daily = con.execute(f"select count(*) from (select {columns} from {name} except all "
                                     f"select {columns} from full_build.{name})").fetchone()[0]
            only_full = con.execute(f"select count(*) from (select {columns} from full_build.{name} except all "
                                    f"select {columns} from {name})").fetchone()[0]
            out[name] = (rows, only_daily, only_full)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="XS")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--worlds", type=Path, default=ROOT / ".cs360" / "benchmark" / "worlds")
    args = parser.parse_args(argv)

    cut, later = worlds_for(args.worlds, args.size, args.seed)
    homes = {name: args.worlds / f"equality-{args.size.lower()}-{name}" for name in ("daily", "full")}
    for home in homes.values():
        shutil.rmtree(home, ignore_errors=True)
        (home.parent / f"{home.name}.log").unlink(missing_ok=True)
        home.mkdir(parents=True)
    say(f"daily home: {cut.name}, then {later.name}")
    demo(homes["daily"], cut)
    demo(homes["daily"], later)
    say(f"full build: {later.name}")
    demo(homes["full"], later)
    found = differences(homes["daily"], homes["full"])
    print(f"{'table':<40}{'rows':>10}{'only daily':>12}{'only full':>11}")
    for name, (rows, only_daily, only_full) in found.items():
        print(f"{name:<40}{rows:>10,}{only_daily:>12,}{only_full:>11,}")
    return 1 if any(a or b for _, a, b in found.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
