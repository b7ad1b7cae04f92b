{{ config(materialized='table') }}

-- The (evaluation date, account) pairs of contract section 6 with what each model said:
-- one row per (model, model_version, evaluated_on, account_id), for marts.model_validation
-- and marts.score_reliability.
--   evaluated_on: E = (today - 90 days) - k months, k = 0..11, that the history covers;
--   population: every account with a health score on E (a contract covers E);
--   churned: that contract ends in (E, E + 90] and was not renewed; in_renewal_cohort:
--     it ends in (E, E + 90] at all;
--   risk: higher = riskier (the score negated, the churn probability as is); probability
--     only for models that give one. churn_model rows come once with model_version 'all'
--     (every version pooled) and once under the version that scored E.

{%- set horizon = 90 %}

with world as (
    select as_of_date as world_date from {{ ref('int_calendar__as_of_date') }}
),

evaluation_dates as (
    select distinct cast(world.world_date - interval {{ horizon }} day - to_months(k) as date) as evaluated_on
    from world
    cross join range(0, 12) as months(k)
),

outcomes as (
    select * from {{ ref('int_crm__contract_outcomes') }}
),

predictions as (
    select * from {{ source_or_empty('churn_predictions', 'churn_predictions', {
        'account_id': 'varchar', 'as_of_date': 'date', 'churn_probability_90d': 'double',
        'model_version': 'varchar', 'top_drivers': 'varchar', 'null_reason': 'varchar'}) }}
),

pairs as (
    select
        scores.as_of_date as evaluated_on,
        scores.account_id,
        scores.health_score,
        scores.health_band,
        predictions.churn_probability_90d,
        predictions.model_version,
        coalesce(outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', horizon) }}, false) as in_renewal_cohort,
        coalesce(outcomes.outcome = 'churned'
            and outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', horizon) }}, false) as churned
    from {{ ref('health_scores') }} as scores
    inner join evaluation_dates
        on scores.as_of_date = evaluation_dates.evaluated_on
    left join outcomes
        on scores.contract_id = outcomes.contract_id
    left join predictions
        on scores.account_id = predictions.account_id
        and scores.as_of_date = predictions.as_of_date
),

-- risk: higher = riskier; probability only for the models that give one
rated as (
    select 'health_score' as model, 'all' as model_version, evaluated_on, account_id,
        -health_score as risk, cast(null as double) as probability, health_band, in_renewal_cohort, churned
    from pairs
    union all
    select 'churn_model', 'all', evaluated_on, account_id,
        churn_probability_90d, churn_probability_90d, health_band, in_renewal_cohort, churned
    from pairs
    where churn_probability_90d is not null
    union all
    select 'churn_model', model_version, evaluated_on, account_id,
        churn_probability_90d, churn_probability_90d, health_band, in_renewal_cohort, churned
    from pairs
    where churn_probability_90d is not null
)

select * from rated
