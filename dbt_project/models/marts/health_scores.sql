-- One row per (account_id, as_of_date): the daily, point-in-time health score.
-- Components with no data on a day are left out and the remaining weights rescaled;
-- coverage says which share of the stage's weight had data. Days where no component had
-- data are not scored.

{%- set components = ['utilization', 'usage', 'usage_trend', 'breadth'] %}

with component_scores as (
    select * from {{ ref('int_health__component_scores') }}
),

weighted as (
    select
        *,
        sum(weight) over account_day as total_weight,
        sum(case when score is not null then weight end) over account_day as weight_with_data
    from component_scores
    window account_day as (partition by account_id, as_of_date)
),

contributions as (
    select
        *,
        weight / weight_with_data * score as contribution,
        -- points the component keeps the score below 100: the size of a negative driver
        weight / weight_with_data * (100 - score) as points_lost
    from weighted
    where weight_with_data > 0
),

ranked_reasons as (
    select
        *,
        row_number() over (
            partition by account_id, as_of_date
            order by points_lost desc nulls last, component
        ) as reason_rank
    from contributions
),

account_days as (
    select
        account_id,
        as_of_date,
        any_value(lifecycle_stage) as lifecycle_stage,
        any_value(scorecard_version) as scorecard_version,
        -- summed as decimals so the result (and its rounding) does not depend on the
        -- order DuckDB adds the rows in
        cast(round(sum(cast(contribution as decimal(18, 6))), 1) as double) as health_score,
        cast(round(any_value(weight_with_data / total_weight), 4) as double) as coverage,
        {%- for component in components %}
        round(max(score) filter (where component = '{{ component }}'), 1) as {{ component }}_score,
        round(max(contribution) filter (where component = '{{ component }}'), 2) as {{ component }}_contribution,
        {%- endfor %}
        coalesce(
            string_agg(reason, '; ' order by reason_rank)
                filter (where reason_rank <= {{ var('top_reasons_count') }} and points_lost > 0),
            'no negative drivers'
        ) as top_reasons
    from ranked_reasons
    group by account_id, as_of_date
),

bands as (
    select band, min_score
    from {{ ref('health_band_thresholds') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
),

inputs as (
    select
        account_id,
        as_of_date,
        contract_id,
        seats,
        active_users_30d,
        logins_30d,
        logins_prev_30d,
        features_used_30d,
        features_available
    from {{ ref('int_health__daily_components') }}
)

select
    account_days.account_id,
    account_days.as_of_date,
    account_days.health_score,
    bands.band as health_band,
    account_days.lifecycle_stage,
    account_days.scorecard_version,
    account_days.coverage,
    account_days.top_reasons,
    {%- for component in components %}
    account_days.{{ component }}_score,
    account_days.{{ component }}_contribution,
    {%- endfor %}
    inputs.contract_id,
    inputs.seats,
    inputs.active_users_30d,
    inputs.logins_30d,
    inputs.logins_prev_30d,
    inputs.features_used_30d,
    inputs.features_available
from account_days
-- the band is the one with the highest min_score the score reaches
asof inner join bands
    on account_days.health_score >= bands.min_score
inner join inputs
    on account_days.account_id = inputs.account_id
    and account_days.as_of_date = inputs.as_of_date
