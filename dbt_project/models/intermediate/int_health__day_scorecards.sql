-- One row per scored day of the history (the last score_history_days): the scorecard in
-- force on the day, the latest learned version whose effective_from is on or before the
-- day, else the seed scorecard (int_health__scorecard_weights). A version only ever
-- scores days from its fit date on, so a later fit never changes an earlier day.

{%- set history_days = var('score_history_days') %}

with latest_day as (
    select as_of_date as today
    from {{ ref('int_calendar__as_of_date') }}
),

scored_days as (
    select {{ day_series(add_days('latest_day.today', -(history_days - 1)), 'latest_day.today') }} as as_of_date
    from latest_day
),

scorecards as (
    select distinct scorecard_version, effective_from
    from {{ ref('int_health__scorecard_weights') }}
),

learned_versions as (
    select scorecard_version, effective_from from scorecards where effective_from is not null
),

seed_version as (
    select scorecard_version from scorecards where effective_from is null
)

select {{ distinct_on('scored_days.as_of_date, seed_version.scorecard_version') }}
    scored_days.as_of_date,
    coalesce(learned_versions.scorecard_version, seed_version.scorecard_version) as scorecard_version
from scored_days
cross join seed_version
-- the latest version in force on the day (an as-of join, written portably)
left join learned_versions
    on scored_days.as_of_date >= learned_versions.effective_from
{{ qualify_first('scored_days.as_of_date, seed_version.scorecard_version', 'learned_versions.effective_from desc nulls last') }}
