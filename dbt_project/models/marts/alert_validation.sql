-- Does an alert foresee churn? One row per alert kind of marts.alerts (and 'any' for all
-- kinds together), over the scored history:
--   alerts_fired        alerts raised;
--   alerts_judged       those whose 90-day outcome is known (triggered_on + 90 <= today);
--   accounts_alerted    distinct accounts among the judged alerts;
--   alerts_churned      judged alerts whose account churned within 90 days: the contract
--                       covering the trigger day ends in (day, day + 90] and was not
--                       renewed (the churn label of
--                       docs/health-score.md, "Does it predict churn?");
--   churn_rate          alerts_churned / alerts_judged: how often the alert was right;
--   base_churn_rate     the same label over every scored (account, day) whose outcome is
--                       known: what a CSM would see picking accounts at random;
--   lift                churn_rate / base_churn_rate (1 = the alert predicts nothing);
--   renewal_window_*    the same within the renewal window only (the covering contract
--                       ends within 90 days of the day), where churn is decided: an alert
--                       that fires near renewals gains lift from timing alone, and
--                       renewal_window_lift shows what is left;
--   churners, churners_alerted, share_of_churners_alerted
--                       churned contracts whose last 90 days lie in the scored history,
--                       and how many of them had an alert of the kind in those 90 days.

{%- set horizon = 90 %}

with latest_day as (
    select as_of_date as today from {{ ref('int_calendar__as_of_date') }}
),

outcomes as (
    select * from {{ ref('int_crm__contract_outcomes') }}
),

scores as (
    select account_id, as_of_date, contract_id from {{ ref('int_health__scores') }}
),

history as (
    select min(as_of_date) as first_day from scores
),

alerts as (
    select kind, alert_id, account_id, triggered_on from {{ ref('alerts') }}
    union all
    select 'any', alert_id, account_id, triggered_on from {{ ref('alerts') }}
),

-- the contracts covering each alert's day, and whether the account churned within 90 days
labeled_alerts as (
    select
        alerts.kind,
        alerts.alert_id,
        alerts.account_id,
        alerts.triggered_on,
        {{ add_days('alerts.triggered_on', horizon) }} <= {{ dbt.any_value('latest_day.today') }} as is_judged,
        coalesce(bool_or(outcomes.outcome = 'churned'
            and outcomes.end_date > alerts.triggered_on
            and outcomes.end_date <= {{ add_days('alerts.triggered_on', horizon) }}), false) as churned,
        coalesce(bool_or(outcomes.end_date > alerts.triggered_on
            and outcomes.end_date <= {{ add_days('alerts.triggered_on', horizon) }}), false) as in_renewal_window
    from alerts
    cross join latest_day
    left join outcomes
        on alerts.account_id = outcomes.account_id
        and outcomes.start_date <= alerts.triggered_on
        and outcomes.end_date > alerts.triggered_on
    group by alerts.kind, alerts.alert_id, alerts.account_id, alerts.triggered_on
),

scored_days as (
    select
        coalesce(outcomes.outcome = 'churned'
            and outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', horizon) }}, false) as churned,
        coalesce(outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', horizon) }}, false) as in_renewal_window
    from scores
    cross join latest_day
    left join outcomes
        on scores.contract_id = outcomes.contract_id
    where {{ add_days('scores.as_of_date', horizon) }} <= latest_day.today
),

base as (
    select
        avg(cast(cast(churned as integer) as {{ type_double() }})) as base_churn_rate,
        avg(cast(cast(churned as integer) as {{ type_double() }})) filter (where in_renewal_window) as renewal_window_base_rate
    from scored_days
),

churners as (
    -- churned contracts whose 90 days before the end are all in the scored history
    select outcomes.account_id, outcomes.contract_id, outcomes.end_date
    from outcomes
    cross join latest_day
    cross join history
    where outcomes.outcome = 'churned'
        and outcomes.end_date <= latest_day.today
        and {{ add_days('outcomes.end_date', -horizon) }} >= history.first_day
),

kinds as (
    select distinct kind from alerts
),

caught as (
    select
        kinds.kind,
        count(*) as churners,
        count(*) filter (where exists (
            select 1 from alerts
            where alerts.kind = kinds.kind
                and alerts.account_id = churners.account_id
                and alerts.triggered_on >= {{ add_days('churners.end_date', -horizon) }}
                and alerts.triggered_on < churners.end_date
        )) as churners_alerted
    from kinds
    cross join churners
    group by kinds.kind
),

per_kind as (
    select
        kind,
        count(*) as alerts_fired,
        count(*) filter (where is_judged) as alerts_judged,
        count(distinct account_id) filter (where is_judged) as accounts_alerted,
        count(*) filter (where is_judged and churned) as alerts_churned,
        count(*) filter (where is_judged and in_renewal_window) as renewal_window_alerts,
        count(*) filter (where is_judged and in_renewal_window and churned) as renewal_window_churned
    from labeled_alerts
    group by kind
)

select
    per_kind.kind,
    {{ horizon }} as horizon_days,
    per_kind.alerts_fired,
    per_kind.alerts_judged,
    per_kind.accounts_alerted,
    per_kind.alerts_churned,
    round({{ ratio('per_kind.alerts_churned', 'per_kind.alerts_judged') }}, 4) as churn_rate,
    round(base.base_churn_rate, 4) as base_churn_rate,
    round({{ safe_divide(ratio('per_kind.alerts_churned', 'per_kind.alerts_judged'), 'base.base_churn_rate') }}, 4) as lift,
    per_kind.renewal_window_alerts,
    per_kind.renewal_window_churned,
    round({{ ratio('per_kind.renewal_window_churned', 'per_kind.renewal_window_alerts') }}, 4)
        as renewal_window_churn_rate,
    round(base.renewal_window_base_rate, 4) as renewal_window_base_rate,
    round({{ safe_divide(ratio('per_kind.renewal_window_churned', 'per_kind.renewal_window_alerts'),
        'base.renewal_window_base_rate') }}, 4) as renewal_window_lift,
    coalesce(caught.churners, 0) as churners,
    coalesce(caught.churners_alerted, 0) as churners_alerted,
    round({{ ratio('caught.churners_alerted', 'caught.churners') }}, 4) as share_of_churners_alerted
from per_kind
cross join base
left join caught
    on per_kind.kind = caught.kind
