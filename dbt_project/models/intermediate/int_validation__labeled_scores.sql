{{ config(materialized='table') }}

-- The evidence behind marts.score_validation, one row per (evaluated_on, horizon_days,
-- model, account_id): what each model said about the account on E and whether the
-- account then churned (contract section 4):
--   evaluation dates E: the first day of every month of the scored history whose
--     outcome is known (E + H <= today), for every horizon H in var validation_horizons;
--   population: accounts with a health score on E (a contract covers E);
--   churned: the contract covering E ends in (E, E + H] and was not renewed
--     (int_crm__contract_outcomes.outcome = 'churned');
--   model 'health_score' is the score; 'component:<name>' each component score alone
--     (accounts without that component's data on E left out), to show which signal
--     carries the prediction.

{%- set components = var('score_components') %}

with world as (
    select as_of_date as world_date from {{ ref('int_calendar__as_of_date') }}
),

horizons as (
    select unnest({{ var('validation_horizons') }}) as horizon_days
),

scores as (
    select * from {{ ref('health_scores') }}
    where as_of_date = date_trunc('month', as_of_date)
),

outcomes as (
    select * from {{ ref('int_crm__contract_outcomes') }}
),

labeled as (
    select
        scores.as_of_date as evaluated_on,
        horizons.horizon_days,
        scores.*,
        coalesce(
            outcomes.outcome = 'churned'
                and outcomes.end_date > scores.as_of_date
                and outcomes.end_date <= {{ add_days('scores.as_of_date', 'horizons.horizon_days') }},
            false
        ) as churned
    from scores
    cross join horizons
    cross join world
    left join outcomes
        on scores.contract_id = outcomes.contract_id
    where {{ add_days('scores.as_of_date', 'horizons.horizon_days') }} <= world.world_date
)

select
    evaluated_on, horizon_days, 'health_score' as model, account_id,
    health_score as score, health_band, churned
from labeled
{%- for component in components %}
union all
select
    evaluated_on, horizon_days, 'component:{{ component }}', account_id,
    {{ component }}_score, cast(null as varchar), churned
from labeled
where {{ component }}_score is not null
{%- endfor %}
