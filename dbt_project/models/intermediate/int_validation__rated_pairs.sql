{{ config(materialized='table') }}

-- The evidence behind marts.score_validation and marts.score_reliability, judged as
-- docs/health-score.md, "Does it predict churn?" says: one row per (horizon_days, model, evaluated_on, account_id)
-- with what the model said about the account on E and what then happened.
--   evaluated_on: E = (today - 90 days) - k months, k = 0..11, that the scored history
--     covers and whose outcome is known for the horizon H (E + H <= today), for every
--     H in var validation_horizons;
--   population: every account with a contract covering E that the model rated (a health
--     score on E; marts.score_validation counts the accounts it could not rate);
--   churned: the contract covering E ends in (E, E + H] and was not renewed
--     (int_crm__contract_outcomes.outcome = 'churned'); in_renewal_cohort: it ends in
--     (E, E + H] at all, so the renewal decision falls within the horizon;
--   risk: higher = riskier (a score negated, the churn probability as is);
--   model 'health_score' (model_version = the scorecard version that scored E),
--     'component:<name>' each component alone (no version: a component is a measurement,
--     not a fit; accounts without its data on E left out), and 'churn_model' (the model
--     version in force on E; 90-day horizon only, the horizon it predicts; days without a
--     trustworthy model have no probability and are left out).

{%- set components = var('score_components') %}
{%- set model_horizon = 90 %}

with latest_day as (
    select as_of_date as today from {{ ref('int_calendar__as_of_date') }}
),

evaluation_dates as (
    select distinct cast({{ dbt.dateadd('month', '-months.k', add_days('latest_day.today', -model_horizon)) }} as date) as evaluated_on
    from latest_day
    cross join ({{ values_relation(range(12), 'k') }}) as months
),

horizons as (
    {{ values_relation(var('validation_horizons'), 'horizon_days') }}
),

outcomes as (
    select * from {{ ref('int_crm__contract_outcomes') }}
),

predictions as (
    select * from {{ source_or_empty('churn_predictions', 'churn_predictions', {
        'account_id': 'varchar', 'as_of_date': 'date', 'churn_probability_90d': 'double',
        'model_version': 'varchar', 'top_drivers': 'varchar', 'null_reason': 'varchar'}) }} as churn_predictions
),

pairs as (
    select
        horizons.horizon_days,
        scores.as_of_date as evaluated_on,
        scores.*,
        predictions.churn_probability_90d,
        predictions.model_version as churn_model_version,
        coalesce(outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', 'horizons.horizon_days') }}, false)
            as in_renewal_cohort,
        coalesce(outcomes.outcome = 'churned'
            and outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', 'horizons.horizon_days') }}, false) as churned
    from {{ ref('int_health__scores') }} as scores
    inner join evaluation_dates
        on scores.as_of_date = evaluation_dates.evaluated_on
    cross join horizons
    cross join latest_day
    left join outcomes
        on scores.contract_id = outcomes.contract_id
    left join predictions
        on scores.account_id = predictions.account_id
        and scores.as_of_date = predictions.as_of_date
    where {{ add_days('scores.as_of_date', 'horizons.horizon_days') }} <= latest_day.today
)

select
    horizon_days, 'health_score' as model, scorecard_version as model_version, evaluated_on, account_id,
    -health_score as risk, health_score as score, cast(null as {{ type_double() }}) as probability, health_band,
    in_renewal_cohort, churned
from pairs
{%- for component in components %}
union all
select
    horizon_days, 'component:{{ component }}', cast(null as {{ dbt.type_string() }}), evaluated_on, account_id,
    -{{ component }}_score, {{ component }}_score, cast(null as {{ type_double() }}), health_band, in_renewal_cohort, churned
from pairs
where {{ component }}_score is not null
{%- endfor %}
union all
select
    horizon_days, 'churn_model', churn_model_version, evaluated_on, account_id,
    churn_probability_90d, cast(null as {{ type_double() }}), churn_probability_90d, health_band, in_renewal_cohort, churned
from pairs
where churn_probability_90d is not null
    and horizon_days = {{ model_horizon }}
