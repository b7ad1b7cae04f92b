-- One row per (account, day, component) for the scored days: the component's raw value,
-- its 0-100 score, its weight for the day's lifecycle stage and a plain-words reason.
-- Targets and weights come from the seeds of the scorecard version in force.

{%- set window_days = var('usage_window_days') %}
{%- set history_days = var('score_history_days') %}

with world as (
    select as_of_date as world_date
    from {{ ref('int_calendar__as_of_date') }}
),

-- scored days: covered by a contract, within the history the marts keep
scored_days as (
    select daily.*
    from {{ ref('int_health__daily_components') }} as daily
    cross join world
    where daily.lifecycle_stage is not null
        and daily.as_of_date >= {{ add_days('world.world_date', -(history_days - 1)) }}
),

components as (
    select
        account_id, as_of_date, lifecycle_stage,
        'utilization' as component,
        utilization as component_value,
        printf('utilization %d%% of seats', cast(round(100 * utilization) as integer)) as reason
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage,
        'usage' as component,
        logins_per_seat as component_value,
        printf('%.1f logins per seat in {{ window_days }} days', logins_per_seat) as reason
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage,
        'usage_trend' as component,
        logins_trend_ratio as component_value,
        case
            when logins_trend_ratio < 1
                then printf('logins fell %d%% vs previous {{ window_days }} days',
                            cast(round(100 * (1 - logins_trend_ratio)) as integer))
            else printf('logins up %d%% vs previous {{ window_days }} days',
                        cast(round(100 * (logins_trend_ratio - 1)) as integer))
        end as reason
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage,
        'breadth' as component,
        breadth as component_value,
        printf('%d of %d features used in {{ window_days }} days', features_used_30d, features_available) as reason
    from scored_days
),

weights as (
    select scorecard_version, lifecycle_stage, component, weight
    from {{ ref('health_score_weights') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
),

targets as (
    select scorecard_version, component, target
    from {{ ref('health_score_components') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
)

select
    components.account_id,
    components.as_of_date,
    components.lifecycle_stage,
    weights.scorecard_version,
    components.component,
    components.component_value,
    targets.target,
    -- reaching the target scores 100; no data (NULL value) gives no score. The explicit
    -- case matters: DuckDB's least/greatest skip NULLs.
    case
        when components.component_value is not null
            then 100 * greatest(0, least(1, components.component_value / targets.target))
    end as score,
    weights.weight,
    case when components.component_value is not null then components.reason end as reason
from components
inner join weights
    on components.lifecycle_stage = weights.lifecycle_stage
    and components.component = weights.component
inner join targets
    on components.component = targets.component
