-- One row per (account, scored day, component): the component score
-- (int_health__component_values) with its weight for the day's lifecycle stage under the
-- scorecard in force on the day: the latest learned version whose effective_from is on or
-- before the day, else the seed scorecard (int_health__scorecard_weights). A version only
-- ever scores days from its fit date on, so a later fit never changes an earlier day.

with component_values as (
    select * from {{ ref('int_health__component_values') }}
),

scorecards as (
    select * from {{ ref('int_health__scorecard_weights') }}
),

learned_versions as (
    select distinct scorecard_version, effective_from
    from scorecards
    where effective_from is not null
),

seed_version as (
    select distinct scorecard_version from scorecards where effective_from is null
),

scored_days as (
    select distinct as_of_date from component_values
),

day_versions as (
    select {{ distinct_on('scored_days.as_of_date, seed_version.scorecard_version') }}
        scored_days.as_of_date,
        coalesce(learned_versions.scorecard_version, seed_version.scorecard_version) as scorecard_version
    from scored_days
    cross join seed_version
    -- the latest version in force on the day (an as-of join, written portably)
    left join learned_versions
        on scored_days.as_of_date >= learned_versions.effective_from
    {{ qualify_first('scored_days.as_of_date, seed_version.scorecard_version', 'learned_versions.effective_from desc nulls last') }}
)

select
    component_values.account_id,
    component_values.as_of_date,
    component_values.lifecycle_stage,
    day_versions.scorecard_version,
    component_values.component,
    component_values.weight_role,
    component_values.component_value,
    component_values.floor,
    component_values.target,
    component_values.score,
    scorecards.weight,
    component_values.reason
from component_values
inner join day_versions
    on component_values.as_of_date = day_versions.as_of_date
inner join scorecards
    on day_versions.scorecard_version = scorecards.scorecard_version
    and component_values.lifecycle_stage = scorecards.lifecycle_stage
    and component_values.component = scorecards.component
