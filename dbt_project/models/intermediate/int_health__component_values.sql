-- One row per (account, scored day, component): raw value, the 0-100 score and a
-- plain-words reason, before any weighting:
--   score = 100 x clamp((value - floor) / (target - floor), 0, 1)
-- with floor and target from the health_score_components seed of the scorecard version in
-- force (var scorecard_version; a target below the floor means lower is better, e.g.
-- tickets per seat). A NULL value (no data that day) gives a NULL score: the component is
-- left out and the others re-weighted. The components, their values and reasons, are
-- defined once in the macro health_components, over a row of int_health__scored_days.
-- The weights come afterwards (int_health__component_scores), so the walk-forward
-- scorecard fit (learning/scorecard.py) can learn from these scores without a cycle.

{%- set health = health_components() %}

with scored_days as (
    select * from {{ ref('int_health__scored_days') }}
),

components as (
    {%- for component in var('score_components') %}
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        '{{ component }}' as component,
        {{ health[component].value }} as component_value,
        {{ health[component].reason }} as reason
    from scored_days
    {{- "\n\n    union all\n" if not loop.last }}
    {%- endfor %}
),

targets as (
    select scorecard_version, component, floor, target
    from {{ ref('health_score_components') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
)

select
    components.account_id,
    components.as_of_date,
    components.lifecycle_stage,
    components.contract_id,
    -- the seed scorecard whose floors and targets made the score (var scorecard_version)
    targets.scorecard_version as seed_scorecard_version,
    components.component,
    -- timing (var timing_components) keeps its weight when others have no data; evidence shares it
    case when components.component in ({{ "'" ~ var('timing_components') | join("', '") ~ "'" }})
        then 'timing' else 'evidence' end as weight_role,
    components.component_value,
    targets.floor,
    targets.target,
    -- reaching the target scores 100, the floor 0; no data (NULL value) gives no score.
    -- The explicit case matters: DuckDB's least / greatest skip NULLs.
    case
        when components.component_value is not null
            then 100 * greatest(0, least(1,
                {{ safe_divide('components.component_value - targets.floor', 'targets.target - targets.floor') }}))
    end as score,
    case when components.component_value is not null then components.reason end as reason
from components
inner join targets
    on components.component = targets.component
