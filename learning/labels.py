"""Point-in-time churn labels and the days on which models are refit.

An example is (account_id, as_of_date E) of `marts.health_scores`; its contract is the one
covering E. It is labelled churned when that contract's outcome in
`intermediate.int_crm__contract_outcomes` is 'churned' and the contract ends in
(E, E + horizon] (contract sections 4 and 6).

A fit made on day D may only use examples whose label was already decided on D: the
horizon has passed and so has the renewal grace period in which a late renewal could still
turn an ended contract into a renewed one (dbt var renewal_grace_days). Hence
E + horizon + grace <= D. A world cut at D gives the same labels for these examples.
"""

from __future__ import annotations

import datetime as dt
import os

DEFAULT_HORIZON_DAYS = 90
DEFAULT_GRACE_DAYS = 30  # dbt var renewal_grace_days
REFIT_EVERY_ENV = "CS360_REFIT_EVERY"
REFIT_CADENCES = {"month": 1, "quarter": 3, "week": None}


def labeled_examples_sql(horizon_days: int = DEFAULT_HORIZON_DAYS,
                         scores: str = "marts.health_scores",
                         outcomes: str = "intermediate.int_crm__contract_outcomes") -> str:
    """Every scored (account, day) with its churn label as the full history knows it."""
    horizon = int(horizon_days)
    return f"""
select
    scores.account_id,
    scores.as_of_date,
    scores.contract_id,
    scores.lifecycle_stage,
    coalesce(
        outcomes.outcome = 'churned'
            and outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= scores.as_of_date + {horizon},
        false
    ) as churned
from {scores} as scores
left join {outcomes} as outcomes
    on scores.contract_id = outcomes.contract_id
where scores.contract_id is not null
"""


def known_examples_sql(fit_date: dt.date | str, horizon_days: int = DEFAULT_HORIZON_DAYS,
                       grace_days: int = DEFAULT_GRACE_DAYS,
                       scores: str = "marts.health_scores",
                       outcomes: str = "intermediate.int_crm__contract_outcomes") -> str:
    """A DuckDB SELECT of (account_id, as_of_date, contract_id, lifecycle_stage, churned)
    for the examples a fit made on `fit_date` may learn from."""
    fit_day = dt.date.fromisoformat(str(fit_date))
    latest = fit_day - dt.timedelta(days=int(horizon_days) + int(grace_days))
    return f"""
select * from ({labeled_examples_sql(horizon_days, scores, outcomes)}) as labeled
where as_of_date <= date '{latest.isoformat()}'
"""


def refit_cadence(every: str | None = None) -> str:
    """The refit cadence: argument, else env CS360_REFIT_EVERY, else 'month'."""
    cadence = (every or os.environ.get(REFIT_EVERY_ENV) or "month").strip().lower()
    if cadence not in REFIT_CADENCES:
        raise ValueError(
            f"{REFIT_EVERY_ENV}={cadence!r} is not a refit cadence; use one of {sorted(REFIT_CADENCES)}"
        )
    return cadence


def fit_dates(first_day: dt.date, last_day: dt.date, every: str | None = None) -> list[dt.date]:
    """The fit dates covering [first_day, last_day]: first_day itself (so every day has a
    version), then the first day of each month (or quarter, or each Monday for 'week')."""
    cadence = refit_cadence(every)
    if last_day < first_day:
        return []
    dates = [first_day]
    if cadence == "week":
        day = first_day + dt.timedelta(days=7 - first_day.weekday())
        while day <= last_day:
            dates.append(day)
            day += dt.timedelta(days=7)
        return dates
    step = REFIT_CADENCES[cadence]
    month_index = first_day.year * 12 + first_day.month - 1
    month_index += step - (month_index % step) if cadence == "quarter" else 1
    while True:
        day = dt.date(month_index // 12, month_index % 12 + 1, 1)
        if day > last_day:
            return dates
        dates.append(day)
        month_index += step
