"""Web app benchmark: p95 server time per page of `cs360 serve`.

    .venv/bin/python benchmarks/webapp.py --synthetic L          # synthetic L-size marts, built in DuckDB
    .venv/bin/python benchmarks/webapp.py --home .cs360          # the published copy of a real run

An L run of the whole pipeline takes long on a small machine, so `--synthetic L` writes a
warehouse with the marts' shapes at L size straight in DuckDB (20,000 accounts, two years of
daily scores and churn predictions, a million tickets and product users) and publishes it with
the real publish step; the largest account has 5,000 tickets, 4,000 product users and 1,000
NPS answers. The app runs in uvicorn on loopback; each page is requested `--repeat` times
(customer pages: `--accounts` sampled accounts plus the largest) and the server time is the
app's own `Server-Timing` figure, the round trip measured by the client next to it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import requests
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs360_core.settings import Home  # noqa: E402
from webapp.app import create_app  # noqa: E402
from cs360_core.published import published_path, publish_marts  # noqa: E402

SIZES = {"S": 200, "M": 2_000, "L": 20_000}
DAYS = {"S": 365, "M": 365, "L": 730}
COMPONENTS = ("utilization", "usage", "usage_trend", "breadth", "support", "csat", "sentiment", "training",
              "relationship")


def synthetic_warehouse(home: Home, size: str) -> None:
    """Marts of the published shapes at the size's scale, with deterministic pseudo-random values."""
    n, days = SIZES[size], DAYS[size]
    components = ", ".join(f"round(40 + 60 * random(), 1) as {c}_score, round(10 * random(), 2) as {c}_contribution"
                           for c in COMPONENTS)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("select setseed(0.42)")
        con.execute(f"""
            create schema marts; create schema seeds; create schema intermediate;
            create table marts.customer_360 as
            select printf('C-%06d', i) as account_id, printf('001%015d', i) as salesforce_account_id,
                   null::varchar as hubspot_company_id, printf('Account %d', i) as name, printf('a%d.example', i) as domain,
                   'Software' as industry, 100 as employees, 'US' as country, printf('csm%d@cs.example', i % 40) as owner_csm,
                   false as is_churned, ['onboarding', 'adoption', 'renewal'][1 + i % 3] as lifecycle_stage,
                   'enterprise' as plan, round(500 + 9500 * random(), 2)::decimal(12, 2) as mrr,
                   (10 + i % 300)::integer as seats, date '2026-10-31' + (i % 365)::integer as renewal_date,
                   (i % 365)::integer as days_to_renewal
            from range({n}) t(i);
            create table marts.health_scores as
            select a.account_id, date '2026-10-31' - d::integer as as_of_date, round(100 * random(), 1) as health_score,
                   ['red', 'yellow', 'green'][1 + (hash(a.account_id, d) % 3)::integer] as health_band,
                   case when d < 90 then 'renewal' else 'adoption' end as lifecycle_stage, 'v1' as scorecard_version,
                   0.95 as coverage, '0.1 logins per seat in 30 days; 8 of 293 seats active in 30 days' as top_reasons,
                   {components}, (random() * a.seats)::integer as active_users_30d, a.seats,
                   (random() * 900)::integer as logins_30d, a.mrr
            from marts.customer_360 as a, range({days}) t(d);
            create table marts.health_score_current as
            select *, round(20 * random() - 10, 1) as score_change_30d from marts.health_scores
            where as_of_date = date '2026-10-31';
            create table marts.churn_predictions as
            select account_id, as_of_date, random() as churn_probability_90d, 'churn-2026-10-01' as model_version,
                   'logins fell' as top_drivers, null::varchar as null_reason from marts.health_scores;
            create table marts.support_tickets as
            select printf('zendesk:%d', i) as ticket_key, 'zendesk' as help_desk, i::varchar as source_ticket_id,
                   case when i < 5000 then 'C-000000' else printf('C-%06d', i % {n}) end as account_id,
                   'Cannot export a report' as subject, 'normal' as priority,
                   case when i % 7 = 0 then 'open' else 'solved' end as status,
                   timestamp '2026-10-31' - to_days((i % 700)::integer) as created_at,
                   date '2026-10-31' - (i % 700)::integer as created_on, 45.0 as first_response_minutes,
                   600.0 as resolution_minutes, i % 11 = 0 as sla_breached, null::varchar as csat,
                   case when i % 7 = 0 then null else timestamp '2026-10-31' end as solved_at
            from range({n * 50}) t(i);
            create table marts.nps_responses as
            select printf('r%d', i) as response_id,
                   case when i < 1000 then 'C-000000' else printf('C-%06d', i % {n}) end as account_id,
                   date '2026-10-31' - (i % 700)::integer as responded_on,
                   timestamp '2026-10-31' - to_days((i % 700)::integer) as responded_at, 'relationship' as survey,
                   (i % 11)::integer as score, 'passive' as nps_category, 'fine' as comment,
                   printf('u%d@example.com', i) as email
            from range({n * 10}) t(i);
            create table marts.alerts as
            select printf('al%d', i) as alert_id, printf('C-%06d', i % {n}) as account_id, 'score_drop' as kind,
                   timestamp '2026-10-31' - to_days((i % 700)::integer) as created_at,
                   date '2026-10-31' - (i % 700)::integer as triggered_on, 'health score fell' as details,
                   i % 5 = 0 as is_open
            from range({n * 10}) t(i);
            create table marts.identity_bridge as
            select 'product_user' as source_system, i::varchar as source_id,
                   case when i < 4000 then 'C-000000' else printf('C-%06d', i % {n}) end as account_id,
                   'email_domain' as match_rule, 0.8 as confidence, null::varchar as source_name,
                   printf('u%d@example.com', i) as source_email
            from range({n * 50}) t(i)
            union all
            select 'salesforce', salesforce_account_id, account_id, 'crm_id', 1.0, name, null from marts.customer_360;
            create table marts.renewals as
            select account_id, name, owner_csm, renewal_date, days_to_renewal, mrr, seats, 5 as active_users_30d,
                   0.4 as utilization_30d, 55.0 as health_score, 'yellow' as health_band, -2.0 as score_change_30d,
                   0.1 as churn_risk, ['high', 'medium', 'low'][1 + days_to_renewal % 3] as renewal_risk
            from marts.customer_360 where days_to_renewal <= 180;
            create table marts.score_validation as
            select 'pooled' as scope, 'health_score' as model, 'all' as model_version, 90 as horizon_days,
                   100000 as n_accounts, 9000 as n_churned, 0.74 as auc, 0.7 as renewal_cohort_auc,
                   2.4 as top_decile_lift, null::double as brier, null::double as ece,
                   date '2026-08-02' as last_evaluated_on;
            create table marts.alert_validation as
            select 'score_drop' as kind, 90 as horizon_days, 4000 as alerts_judged, 600 as alerts_churned,
                   2.1 as lift;
            create table seeds.health_band_thresholds as
            select 'v1' as scorecard_version, stage as lifecycle_stage, band, min_score
            from (values ('green', 70), ('yellow', 40), ('red', 0)) b(band, min_score),
                 (values ('onboarding'), ('adoption'), ('renewal')) s(stage);
            create table intermediate.int_training__enrollments as
            select printf('e%d', i) as enrollment_id, printf('C-%06d', i % {n}) as account_id, 'Onboarding' as course_title,
                   'onboarding' as course_kind, printf('u%d@example.com', i) as email,
                   timestamp '2026-01-01' as registered_at, null::timestamp as attended_at,
                   null::timestamp as completed_at
            from range({n * 15}) t(i);
        """)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def measure(url: str, repeat: int) -> tuple[list[float], list[float]]:
    server_ms, client_ms = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        response = requests.get(url, timeout=60)
        client_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        server_ms.append(float(response.headers.get("Server-Timing", "app;dur=nan").split("dur=")[1])
                         if "Server-Timing" in response.headers else client_ms[-1])
    return server_ms, client_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a home with a published copy (default: a synthetic one)")
    parser.add_argument("--synthetic", choices=sorted(SIZES), default="L")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=20, help="sampled customer pages besides the largest")
    parser.add_argument("--workdir", type=Path, help="keep the synthetic home here and reuse it when it exists")
    args = parser.parse_args()

    scratch = None
    if args.home:
        home = Home(args.home.resolve())
        label = f"published copy of {home.root}"
    elif args.workdir and published_path(Home(args.workdir.resolve())).exists():
        home = Home(args.workdir.resolve())
        label = f"synthetic {args.synthetic} in {home.root}"
    else:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
        else:
            scratch = tempfile.TemporaryDirectory(prefix="cs360-webapp-bench-")
        home = Home(args.workdir.resolve() if args.workdir else Path(scratch.name))
        started = time.perf_counter()
        synthetic_warehouse(home, args.synthetic)
        built = time.perf_counter() - started
        published = publish_marts(home)
        label = f"synthetic {args.synthetic} ({SIZES[args.synthetic]:,} accounts)"
        print(f"synthetic {args.synthetic} warehouse built in {built:.1f} s; published {published.tables} tables, "
              f"{published.rows:,} rows in {published.seconds:.1f} s")

    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        accounts = [r[0] for r in con.execute("select account_id from marts.customer_360 order by 1").fetchall()]
        largest = con.execute("""
            select account_id from marts.support_tickets where account_id is not null
            group by 1 order by count(*) desc limit 1""").fetchone()[0]

    app = create_app(published_path(home), home.root / "webapp")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    requests.get(f"{base}/", timeout=60)  # first connection and first query plans

    rng = random.Random(7)
    pages = {"/ (portfolio)": ["/"], "/renewals (180 days)": ["/renewals?within=180"],
             "/renewals.csv (180 days)": ["/renewals.csv?within=180"],
             f"/accounts/{largest} (largest)": [f"/accounts/{largest}"],
             f"/accounts/<{args.accounts} sampled>": [f"/accounts/{a}" for a in rng.sample(accounts, args.accounts)]}
    print(f"\nweb app on the {label}; {args.repeat} requests per page (sampled accounts: one each, "
          f"{args.repeat} rounds)\n")
    print(f"{'page':44} {'p50 server ms':>14} {'p95 server ms':>14} {'p95 round trip ms':>18}")
    worst = 0.0
    for name, paths in pages.items():
        server_ms, client_ms = [], []
        for _ in range(args.repeat if len(paths) > 1 else 1):
            for path in paths:
                s, c = measure(base + path, 1 if len(paths) > 1 else args.repeat)
                server_ms += s
                client_ms += c
        worst = max(worst, p95(server_ms))
        print(f"{name:44} {statistics.median(server_ms):14.1f} {p95(server_ms):14.1f} {p95(client_ms):18.1f}")
    server.should_exit = True
    thread.join(timeout=10)
    print(f"\nworst page p95 server time: {worst:.1f} ms (goal: 300 ms or less)")
    if scratch:
        scratch.cleanup()
    return 0 if worst <= 300 else 1


if __name__ == "__main__":
    sys.exit(main())
