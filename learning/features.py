"""Point-in-time features per (account, day), computed in DuckDB.

Every row of `marts.health_scores` already holds only what existed on its day (the
component scores and the raw signals behind them). To that we add what the history says
about the account up to the same day: the 30- and 90-day trends (the row of 30 / 90 days
before), tenure and the seat and MRR changes of the last renewal (contract terms that had
started by then), and flags for missing data. Nothing here looks past the row's day.

`FEATURE_TABLE` is materialised once per run; the model reads slices of it as Arrow.
"""

from __future__ import annotations

import duckdb

from cs360_core.introspection import column_names

FEATURE_TABLE = "learning_features"
ID_COLUMNS = ("account_id", "as_of_date", "contract_id", "lifecycle_stage")
STAGES = ("onboarding", "adoption", "renewal")

# Plain names for the drivers of a prediction (learning.churn_model.describe_drivers).
RAW_SIGNALS = {
    "days_to_renewal": "days_to_renewal",
    "tenure_days": "tenure_days",
    "renewals_so_far": "renewals_so_far",
    "mrr": "mrr",
    "seats": "seats",
    "mrr_change": "mrr / nullif(previous_mrr, 0) - 1",
    "seat_change": "seats / nullif(previous_seats, 0) - 1",
    "utilization": "active_users_30d / nullif(seats, 0)",
    "active_users_30d": "active_users_30d",
    "logins_30d": "logins_30d",
    "logins_per_seat": "logins_30d / nullif(seats, 0)",
    "login_trend_30d": "logins_30d / nullif(logins_prev_30d, 0) - 1",
    "breadth": "features_used_30d / nullif(features_available, 0)",
    "days_since_activity": "datediff('day', last_activity_on, as_of_date)",
    "open_tickets": "open_tickets",
    "tickets_90d": "tickets_90d",
    "sla_breaches_90d": "sla_breaches_90d",
    "csat_90d": "csat_90d",
    "nps_180d": "nps_180d",
    "nps_responses_180d": "nps_responses_180d",
    "people_trained": "people_trained",
    "onboarding_completed": "cast(onboarding_completed as double)",
    "days_since_csm_touch": "days_since_csm_touch",
    "csm_touches_90d": "csm_touches_90d",
    "meetings_90d": "meetings_90d",
    "executive_engaged_90d": "cast(executive_engaged_90d as double)",
    "health_score": "health_score",
    "coverage": "coverage",
}
# Columns of later additions to marts.health_scores: a score table without them (built
# before CRM activities were read) gives NULL, as when the CRMs hold no activities.
OPTIONAL_COLUMNS = ("days_since_csm_touch", "csm_touches_90d", "meetings_90d", "executive_engaged_90d")
# Signals whose change over 30 and 90 days is a feature of its own.
TRENDED = ("active_users_30d", "logins_30d", "breadth", "tickets_90d", "health_score", "nps_180d")
MISSING_FLAGS = {"no_usage_data": "active_users_30d", "no_support_data": "tickets_90d",
                 "no_csat": "csat_90d", "no_nps": "nps_180d", "no_training_data": "people_trained",
                 "no_crm_activity_data": "csm_touches_90d"}


def score_table_columns(con: duckdb.DuckDBPyConnection, scores: str = "marts.health_scores") -> list[str]:
    schema, table = scores.split(".")
    return column_names(con, schema, table)


def component_columns(con: duckdb.DuckDBPyConnection, scores: str = "marts.health_scores") -> list[str]:
    """The `<component>_score` columns the score table has (components may be added)."""
    return [name for name in score_table_columns(con, scores) if name.endswith("_score") and name != "health_score"]


def feature_names(components: list[str]) -> list[str]:
    return [*components, *RAW_SIGNALS,
            *(f"{name}_change_{days}d" for name in TRENDED for days in (30, 90)),
            *MISSING_FLAGS, *(f"stage_{stage}" for stage in STAGES)]


def features_sql(components: list[str], scores: str = "marts.health_scores",
                 contracts: str = "intermediate.int_crm__contracts", absent: tuple[str, ...] = ()) -> str:
    """`absent`: optional columns the score table lacks; their signals are NULL."""
    raw = ",\n        ".join(
        f"{'cast(null as double)' if any(column in expression for column in absent) else expression} as {name}"
        for name, expression in RAW_SIGNALS.items())
    component_list = ", ".join(f"scores.{name}" for name in components)
    trends = ",\n    ".join(
        f"base.{name} - back_{days}.{name} as {name}_change_{days}d"
        for name in TRENDED for days in (30, 90))
    flags = ",\n    ".join(f"cast(base.{column} is null as double) as {flag}"
                          for flag, column in MISSING_FLAGS.items())
    stages = ",\n    ".join(f"cast(base.lifecycle_stage = '{stage}' as double) as stage_{stage}"
                           for stage in STAGES)
    return f"""
with history as (
    -- contract terms that had started on each scored day: tenure and renewals so far
    select
        scores.account_id,
        scores.as_of_date,
        datediff('day', min(contracts.start_date), scores.as_of_date) as tenure_days,
        count(*) - 1 as renewals_so_far
    from {scores} as scores
    inner join {contracts} as contracts
        on scores.account_id = contracts.account_id
        and contracts.start_date <= scores.as_of_date
    group by scores.account_id, scores.as_of_date
),

current_terms as (
    select contract_id, previous_mrr, previous_seats from {contracts}
),

base as (
    select
        scores.account_id,
        scores.as_of_date,
        scores.contract_id,
        scores.lifecycle_stage,
        {component_list + "," if components else ""}
        {raw}
    from (
        select scores.*, history.tenure_days, history.renewals_so_far,
            current_terms.previous_mrr, current_terms.previous_seats
        from {scores} as scores
        left join history
            on scores.account_id = history.account_id and scores.as_of_date = history.as_of_date
        left join current_terms
            on scores.contract_id = current_terms.contract_id
    ) as scores
)

select
    base.*,
    {trends},
    {flags},
    {stages}
from base
left join base as back_30
    on base.account_id = back_30.account_id and back_30.as_of_date = base.as_of_date - 30
left join base as back_90
    on base.account_id = back_90.account_id and back_90.as_of_date = base.as_of_date - 90
"""


def build_features(con: duckdb.DuckDBPyConnection, scores: str = "marts.health_scores",
                   contracts: str = "intermediate.int_crm__contracts") -> list[str]:
    """Materialise the feature table (a temp table of this connection); return the names
    of the model's input columns, in order."""
    components = component_columns(con, scores)
    present = set(score_table_columns(con, scores))
    absent = tuple(column for column in OPTIONAL_COLUMNS if column not in present)
    con.execute(f"create or replace temp table {FEATURE_TABLE} as "
                f"{features_sql(components, scores, contracts, absent)}")
    return feature_names(components)
