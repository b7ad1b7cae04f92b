"""What each page reads from the published marts: one small query per block of a page.

Every query filters or aggregates in DuckDB; the published tables are sorted by
`account_id`, so one account's rows come from a few row groups whatever the world's size.
"""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv

ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,99}")  # C-001234, salesforce:001…, hubspot:123…
RENEWAL_WINDOWS = (30, 60, 90, 180)
# Rows per table of the customer page; the page says how many more there are.
MAX_ROWS = 100
RENEWALS_PER_PAGE = 200
RENEWAL_COLUMNS = {  # sortable column → its SQL
    "name": "name", "owner_csm": "owner_csm", "renewal_date": "renewal_date", "days_to_renewal": "days_to_renewal",
    "mrr": "mrr", "seats": "seats", "active_users_30d": "active_users_30d", "utilization_30d": "utilization_30d",
    "health_score": "health_score", "health_band": "health_band", "score_change_30d": "score_change_30d",
    "churn_risk": "churn_risk", "renewal_risk": "renewal_risk",
}
RISK_ORDER = "case renewal_risk when 'high' then 0 when 'medium' then 1 when 'unknown' then 2 else 3 end"


def rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[dict]:
    result = cur.execute(sql, params or [])
    names = [column[0] for column in result.description]
    return [dict(zip(names, values, strict=True)) for values in result.fetchall()]


def one(cur, sql: str, params: list | None = None) -> dict | None:
    found = rows(cur, sql, params)
    return found[0] if found else None


def refresh(cur) -> dict | None:
    return one(cur, "select timezone('UTC', refreshed_at) as refreshed_at, data_as_of, run_id from publication.refresh")


def is_account_id(value: str) -> bool:
    return ACCOUNT_ID.fullmatch(value) is not None


def customer_page(cur, account_id: str, data_as_of: date | None) -> dict | None:
    """Everything the customer page shows, or None for an unknown account."""
    account = one(cur, "select * from marts.customer_360 where account_id = ?", [account_id])
    if account is None:
        return None
    current = one(cur, "select * from marts.health_score_current where account_id = ?", [account_id])
    as_of = current["as_of_date"] if current else None
    churn = one(cur, """select churn_probability_90d, model_version, top_drivers, null_reason
                        from marts.churn_predictions where account_id = ? and as_of_date = ?""", [account_id, as_of])
    return {
        "account": account,
        "current": current,
        "components": _components(current),
        "churn": churn,
        "tickets": rows(cur, f"""
            select help_desk, source_ticket_id, subject, priority, status, created_at, first_response_minutes,
                   resolution_minutes, sla_breached, csat, solved_at, count(*) over () as listed_of
            from marts.support_tickets
            where account_id = ? and (solved_at is null or created_on > ?::date - interval 90 day)
            order by solved_at is null desc, created_at desc, ticket_key limit {MAX_ROWS}""",
                        [account_id, data_as_of]),
        "nps": rows(cur, """
            select responded_on, survey, score, nps_category, comment, email
            from marts.nps_responses where account_id = ? order by responded_at desc, response_id limit 50""",
                    [account_id]),
        "training": rows(cur, f"""
            select course_title, course_kind, email, registered_at, attended_at, completed_at,
                   count(*) over () as listed_of
            from intermediate.int_training__enrollments where account_id = ?
            order by coalesce(completed_at, attended_at, registered_at) desc, enrollment_id limit {MAX_ROWS}""",
                         [account_id]),
        "activities": _activities(cur, account_id),
        "last_touch": one(cur, """
            select max(occurred_at) as occurred_at from marts.crm_activities where account_id = ? and is_touch""",
                          [account_id]) if _has_table(cur, "marts", "crm_activities") else None,
        "alerts": rows(cur, f"""
            select kind, triggered_on, details, is_open, count(*) over () as listed_of
            from marts.alerts where account_id = ?
            order by created_at desc, alert_id limit {MAX_ROWS}""", [account_id]),
        "identity": rows(cur, f"""
            select source_system, source_id, source_name, source_email, match_rule, confidence,
                   count(*) over () as listed_of
            from marts.identity_bridge where account_id = ? and source_system <> 'product_user'
            order by source_system, match_rule, source_id limit {MAX_ROWS}""", [account_id]),
        "identity_users": rows(cur, """
            select match_rule, count(*) as n from marts.identity_bridge
            where account_id = ? and source_system = 'product_user' group by match_rule order by n desc, match_rule""",
                               [account_id]),
        "datasets": _chart_data(cur, account_id, current["scorecard_version"] if current else None),
    }


def _has_table(cur, schema: str, table: str) -> bool:
    """A copy published before CRM activities were read has no such table: the page says none."""
    return one(cur, "select count(*) as n from information_schema.tables where table_schema = ? and table_name = ?",
               [schema, table])["n"] > 0


def _activities(cur, account_id: str) -> list[dict]:
    if not _has_table(cur, "marts", "crm_activities"):
        return []
    return rows(cur, f"""
        select kind, occurred_at, subject, owner_email, contact_title, is_executive_contact, source_system,
               count(*) over () as listed_of
        from marts.crm_activities where account_id = ?
        order by occurred_at desc, activity_id limit {MAX_ROWS}""", [account_id])


def _components(current: dict | None) -> list[dict]:
    if current is None:
        return []
    names = [key.removesuffix("_contribution") for key in current if key.endswith("_contribution")]
    return [{"component": name, "score": current[f"{name}_score"], "contribution": current[f"{name}_contribution"]}
            for name in names]


def _chart_data(cur, account_id: str, scorecard_version: str | None) -> dict[str, list[dict]]:
    history = rows(cur, """
        select strftime(as_of_date, '%Y-%m-%d') as as_of_date, health_score, health_band, lifecycle_stage,
               active_users_30d, seats, logins_30d,
               round(active_users_30d / nullif(seats, 0), 4) as utilization
        from marts.health_scores where account_id = ? order by as_of_date""", [account_id])
    # Runs of consecutive days in one lifecycle stage (at most a few hundred days), each
    # ending where the next starts.
    stages = []
    for day in history:
        if not stages or stages[-1]["lifecycle_stage"] != day["lifecycle_stage"]:
            if stages:
                stages[-1]["end_date"] = day["as_of_date"]
            stages.append({"lifecycle_stage": day["lifecycle_stage"], "start_date": day["as_of_date"]})
    if stages:
        stages[-1]["end_date"] = history[-1]["as_of_date"]
    # Band thresholds of the scorecard, per stage run. A learned version (`v1-fit-2026-10-01`)
    # keeps the thresholds of the seed version it was learned from (`v1`).
    seed = rows(cur, """
        select lifecycle_stage, band, min_score from seeds.health_band_thresholds
        where min_score > 0 and (scorecard_version = $version or starts_with($version, scorecard_version || '-'))
        qualify length(scorecard_version) = max(length(scorecard_version)) over ()
        order by min_score""", {"version": scorecard_version}) if stages else []
    thresholds = [{**run, "band": t["band"], "min_score": t["min_score"]}
                  for run in stages for t in seed if t["lifecycle_stage"] == run["lifecycle_stage"]]
    return {"history": history, "stages": stages, "thresholds": thresholds}


def _renewal_query(within: int, risk: str | None, band: str | None, sort: str, descending: bool) -> tuple[str, list]:
    """The board's rows in order, as SQL: sort columns come from RENEWAL_COLUMNS, values are parameters."""
    order = RENEWAL_COLUMNS.get(sort, "renewal_date")
    filters, params = ["days_to_renewal <= ?"], [within]
    if risk:
        filters.append("renewal_risk = ?")
        params.append(risk)
    if band:
        filters.append("health_band = ?")
        params.append(band)
    return f"""
        select account_id, name, owner_csm, renewal_date, days_to_renewal, mrr, seats, active_users_30d,
               utilization_30d, health_score, health_band, score_change_30d, churn_risk, renewal_risk
        from marts.renewals where {' and '.join(filters)}
        order by {order} {'desc' if descending else 'asc'} nulls last, {RISK_ORDER}, account_id""", params


def renewals(cur, *, page: int = 1, **filters) -> dict:
    """One page of the board, with the totals of every row that passes the filters."""
    sql, params = _renewal_query(**filters)
    totals = one(cur, f"""select count(*) as contracts, coalesce(sum(mrr), 0) as mrr_at_stake,
                                 coalesce(sum(mrr) filter (where renewal_risk = 'high'), 0) as mrr_at_risk
                          from ({sql})""", params)
    found = rows(cur, f"{sql} limit {RENEWALS_PER_PAGE} offset {(page - 1) * RENEWALS_PER_PAGE}", params)
    return {"rows": found, **totals, "page": page,
            "pages": max(1, -(-totals["contracts"] // RENEWALS_PER_PAGE))}


def renewals_csv(cur, **filters) -> bytes:
    """Every row of the board as CSV, written by Arrow."""
    sql, params = _renewal_query(**filters)
    table = cur.sql(sql, params=params).to_arrow_table()
    out = pa.BufferOutputStream()
    pa_csv.write_csv(table, out)
    return out.getvalue().to_pybytes()


def portfolio(cur) -> dict:
    return {
        "bands": rows(cur, """
            select lifecycle_stage,
                   count(*) filter (where health_band = 'red') as red,
                   count(*) filter (where health_band = 'yellow') as yellow,
                   count(*) filter (where health_band = 'green') as green,
                   count(*) as accounts, sum(mrr) as mrr
            from marts.health_score_current group by lifecycle_stage
            order by case lifecycle_stage when 'onboarding' then 0 when 'adoption' then 1
                      when 'renewal' then 2 else 3 end"""),
        "drops": rows(cur, """
            select s.account_id, c.name, c.owner_csm, s.health_score, s.health_band, s.score_change_30d, s.mrr
            from marts.health_score_current as s join marts.customer_360 as c using (account_id)
            where s.score_change_30d < 0 order by s.score_change_30d, s.account_id limit 15"""),
        "alerts": rows(cur, """
            select a.account_id, c.name, a.kind, a.triggered_on, a.details
            from marts.alerts as a left join marts.customer_360 as c using (account_id)
            where a.is_open order by a.created_at desc, a.alert_id limit 25"""),
        "open_alerts": one(cur, "select count(*) as n from marts.alerts where is_open")["n"],
        "validation": rows(cur, """
            select * from (
                select model, model_version, horizon_days, n_accounts as n_pairs, n_churned, auc, renewal_cohort_auc,
                       top_decile_lift, brier, ece, cast(null as double) as alert_lift, last_evaluated_on
                from marts.score_validation
                where scope = 'pooled' and model in ('health_score', 'churn_model')
                union all
                select 'alert:' || kind, 'all', horizon_days, alerts_judged, alerts_churned, null, null, null, null,
                       null, lift, null
                from marts.alert_validation where kind <> 'any')
            order by model like 'alert:%', model, horizon_days"""),
    }
