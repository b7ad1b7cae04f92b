"""Cost of the learn group: the scorecard fit and the churn model's fits and scoring.

    .venv/bin/python benchmarks/learning_cost.py --accounts 2000 --days 365     # a generated history
    .venv/bin/python benchmarks/learning_cost.py --home ~/.cs360                # a built warehouse (copied)

Each step runs from scratch (no stored versions) in a child process of its own, on a copy
of the warehouse, so its peak RSS (resource.getrusage) is its own: DuckDB's memory and the
model's. It prints rows, seconds (wall and CPU), rows/s, peak RSS and the seconds projected
to the issue's L world (20,000 accounts x 365 days = 7.3 M rows; target at most 120 s and
4 GiB for fitting and scoring): the churn model's fits by their training rows (which grow
with the history up to max_training_rows), everything else by rows.

The generated history: yearly terms starting on days spread over the year before the first
day; a quarter of the accounts (weaker usage, fading in the last 60 days, SLA breaches) do
not renew their first term; the rest renew.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import queue as queue_module
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

L_ROWS = 20_000 * 365
TARGET_SECONDS, TARGET_GIB = 120.0, 4.0
LAST_DAY = dt.date(2023, 12, 31)

SCORES = """
    account_id varchar, as_of_date date, contract_id varchar, lifecycle_stage varchar,
    health_score double, coverage double, usage_score double, support_score double,
    contract_end_date date, days_to_renewal integer, mrr double, seats integer,
    active_users_30d integer, logins_30d integer, logins_prev_30d integer,
    features_used_30d integer, features_available integer, last_activity_on date,
    open_tickets integer, tickets_90d integer, sla_breaches_90d integer, csat_90d double,
    nps_180d double, nps_responses_180d integer, people_trained integer, onboarding_completed boolean
"""


def daily_scores_sql(first: dt.date, last: dt.date, health_score: str) -> str:
    """Insert into marts.health_scores a row per covered day of temp tables `accounts` and
    `terms`: an account that leaves uses fewer seats, fading in its last 60 days, and breaches
    SLAs in its last 90; `health_score` is the score's SQL over active, seats and breaches."""
    return f"""
        insert into marts.health_scores
        with days as (
            select cast(d as date) as day from range(date '{first}', date '{last}' + 1, interval 1 day) as t(d)
        ),
        covered as (
            select terms.*, days.day, accounts.noise, datediff('day', days.day, terms.end_date) as to_end
            from days
            inner join terms on terms.start_date <= days.day and days.day < terms.end_date
            inner join accounts using (account_id)
        ),
        usage as (
            select *,
                greatest(0, round(seats * case
                    when leaves and to_end < 60 then 0.15 + 0.2 * noise
                    when leaves then 0.35 + 0.3 * noise
                    else 0.45 + 0.4 * noise end))::int as active,
                case when leaves and to_end < 90 then 2 else (noise * 2)::int end as breaches
            from covered
        )
        select account_id, day, contract_id, case when to_end <= 90 then 'renewal' else 'adoption' end,
            {health_score}, 1.0, round(100 * active / seats, 1), 100 - 30 * breaches,
            end_date, to_end, 10.0 * seats, seats, active, 8 * active, 8 * active, 3, 10, day - 1,
            breaches, 2 + breaches, breaches, null, null, 0, 2, true
        from usage"""


def generate(path: Path, accounts: int, days: int) -> None:
    """The learn group's inputs, as dbt leaves them: scores, component values, contract
    terms and outcomes, the seed weights."""
    first = LAST_DAY - dt.timedelta(days=days - 1)
    terms_per_account = days // 365 + 2
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema intermediate; create schema seeds")
        con.execute(f"""
            create temp table accounts as
            select 'A' || lpad(i::varchar, 6, '0') as account_id,
                date '{first}' - 365 + (i * 11 % 365)::int as term_start,
                hash(i, 'churn') % 4 = 0 as leaves,
                10 + (hash(i, 'seats') % 40)::int as seats,
                (hash(i, 'noise') % 1000) / 1000.0 as noise
            from range({accounts}) as t(i)""")
        con.execute(f"""
            create temp table terms as
            select account_id, account_id || '-' || k as contract_id, term_start + (365 * (k - 1))::int as start_date,
                term_start + (365 * k)::int as end_date, seats, leaves and k = 1 as leaves, k as term
            from accounts, range(1, {terms_per_account + 1}) as t(k)
            where k = 1 or not accounts.leaves""")
        con.execute(f"""
            create table intermediate.int_crm__contract_outcomes as
            select contract_id, account_id, start_date, end_date,
                case when end_date > date '{LAST_DAY}' then 'open' when leaves then 'churned' else 'renewed' end
                    as outcome
            from terms where start_date <= date '{LAST_DAY}'""")
        con.execute(f"""
            create table intermediate.int_crm__contracts as
            select account_id, contract_id, start_date, end_date, 10.0 * seats as mrr, seats,
                case when term > 1 then 10.0 * seats end as previous_mrr,
                case when term > 1 then seats end as previous_seats
            from terms where start_date <= date '{LAST_DAY}'""")
        con.execute(f"create table marts.health_scores ({SCORES})")
        con.execute(daily_scores_sql(first, LAST_DAY,
                                     "round(0.6 * (100 * active / seats) + 0.4 * (100 - 30 * breaches), 1)"))
        con.execute("""
            create table intermediate.int_health__component_values as
            select account_id, as_of_date, lifecycle_stage, contract_id, 'v1' as seed_scorecard_version,
                component, score
            from marts.health_scores
            unpivot (score for component in (usage_score as 'usage', support_score as 'support'))""")
        con.execute("""
            create table seeds.health_score_weights as
            select 'v1' as scorecard_version, stage as lifecycle_stage, component, weight::decimal(9, 4) as weight
            from (values ('renewal', 'usage', 0.6), ('renewal', 'support', 0.4),
                         ('adoption', 'usage', 0.7), ('adoption', 'support', 0.3)) as t(stage, component, weight)""")


def _step(step: str, warehouse: str, queue) -> None:
    from cs360_core import duckdb_limits
    from learning import churn_model, scorecard

    with duckdb_limits.connect(warehouse) as con:  # the memory bound the Dagster assets run under
        con.execute("drop table if exists learning.scorecard_weights; drop table if exists learning.model_versions; "
                    "drop table if exists marts.churn_predictions")
        rows = con.execute("select count(*) from marts.health_scores").fetchall()[0][0]
        wall, cpu = time.perf_counter(), time.process_time()
        detail, fit_seconds, fit_scale = "", 0.0, 1.0
        if step == "scorecard":
            summary = scorecard.run(con, log=lambda _: None)
            detail = f"{len(summary.versions)} versions"
        else:
            settings = churn_model.ModelSettings()
            summary = churn_model.run(con, settings, log=lambda _: None)
            fit_seconds = summary.seconds_fitting
            largest_fit = con.execute(f"select max(n_training_rows) from {churn_model.VERSIONS}").fetchall()[0][0]
            # a fit's training rows grow with the history up to max_training_rows, then stay there
            fit_scale = min(L_ROWS / max(rows, 1), settings.max_training_rows / max(largest_fit or 1, 1))
            detail = (f"{len(summary.versions_fit)} versions fit, {len(summary.versions_without_model)} without model; "
                      f"features {summary.seconds_features:.1f} s, fitting {summary.seconds_fitting:.1f} s, "
                      f"scoring {summary.seconds_scoring:.1f} s (drivers {summary.seconds_drivers:.1f} s), "
                      f"validating {summary.seconds_validating:.1f} s")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"step": step, "rows": rows, "seconds": wall, "cpu_seconds": cpu, "peak_mib": peak_kib / 1024,
               "detail": detail, "fit_seconds": fit_seconds, "fit_scale": fit_scale})


def measure(step: str, warehouse: Path) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_step, args=(step, str(warehouse), queue))
    child.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not child.is_alive():
                raise SystemExit(f"{step} failed (exit code {child.exitcode}): see its traceback above") from None
    child.join()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="a cs360 home whose warehouse.duckdb is measured (on a copy)")
    parser.add_argument("--accounts", type=int, default=2000, help="generated history: accounts (default 2000)")
    parser.add_argument("--days", type=int, default=365, help="generated history: days (default 365)")
    parser.add_argument("--steps", default="scorecard,churn_model")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cs360-learning-bench-") as scratch:
        source = Path(scratch) / "source.duckdb"
        if args.home:
            shutil.copy(args.home / "warehouse.duckdb", source)
            origin = f"warehouse of {args.home}"
        else:
            started = time.perf_counter()
            generate(source, args.accounts, args.days)
            origin = (f"generated history: {args.accounts} accounts x {args.days} days "
                      f"({time.perf_counter() - started:.1f} s to generate)")
        print(origin)
        print(f"{'step':<12} {'rows':>10} {'wall s':>8} {'cpu s':>8} {'rows/s':>10} {'peak MiB':>9} "
              f"{'L proj. s':>9}  detail")
        total_l = 0.0
        peak = 0.0
        for step in args.steps.split(","):
            copy = Path(scratch) / f"{step}.duckdb"
            shutil.copy(source, copy)
            result = measure(step, copy)
            copy.unlink()
            per_row = result["seconds"] - result["fit_seconds"]
            projected = per_row * L_ROWS / max(result["rows"], 1) + result["fit_seconds"] * result["fit_scale"]
            total_l += projected
            peak = max(peak, result["peak_mib"])
            print(f"{step:<12} {result['rows']:>10,} {result['seconds']:>8.1f} {result['cpu_seconds']:>8.1f} "
                  f"{result['rows'] / max(result['seconds'], 1e-9):>10,.0f} {result['peak_mib']:>9.0f} "
                  f"{projected:>9.0f}  {result['detail']}")
        print(f"L projection ({L_ROWS:,} rows): {total_l:.0f} s (target {TARGET_SECONDS:.0f} s, ratio "
              f"{TARGET_SECONDS / max(total_l, 1e-9):.2f}); peak RSS here {peak:.0f} MiB (target "
              f"{TARGET_GIB:.0f} GiB; grows with rows only through DuckDB's tables and the scored slices)")


if __name__ == "__main__":
    main()
