{{ config(materialized='table') }}

-- CRM engagement per account and day of the scored history, point-in-time: an activity
-- counts on day D from the day it existed and had happened (visible_on) until the day it
-- was deleted (deleted_on, exclusive), so a later deletion never changes an earlier day.
--   last_touch_on          the latest CSM touch (call / meeting / e-mail) visible on D
--   days_since_touch       D - last_touch_on (NULL when no touch was ever logged)
--   touches_90d            touches in the last window_days (seed engagement_rules)
--   meetings_90d           meetings in the last window_days
--   executive_touches_90d  touches in the last window_days with an executive contact
--   engagement_index       0-1: recency_weight x recency + meetings_weight x meetings
--                          part + executive_weight x (an executive touch), seed engagement_rules
-- has_activity_data: the CRMs hold activities, and D is history_lead_days or more after
-- the first one; before that (or without any) the measures are NULL, not zero.

with rules as (
    select
        max(value) filter (where parameter = 'touch_target_days') as touch_target_days,
        max(value) filter (where parameter = 'touch_floor_days') as touch_floor_days,
        max(value) filter (where parameter = 'meetings_target_90d') as meetings_target,
        max(value) filter (where parameter = 'recency_weight') as recency_weight,
        max(value) filter (where parameter = 'meetings_weight') as meetings_weight,
        max(value) filter (where parameter = 'executive_weight') as executive_weight,
        cast(max(value) filter (where parameter = 'window_days') as integer) as window_days,
        cast(max(value) filter (where parameter = 'history_lead_days') as integer) as history_lead_days
    from {{ ref('engagement_rules') }}
),

activities as (
    select
        activities.account_id,
        activities.kind,
        activities.is_touch,
        activities.is_executive_contact,
        activities.visible_on,
        -- the window ends window_days after it happened, or earlier when it was deleted
        case
            when activities.deleted_on is null then {{ add_days('activities.visible_on', 'rules.window_days') }}
            else least({{ add_days('activities.visible_on', 'rules.window_days') }}, activities.deleted_on)
        end as window_end_on,
        activities.deleted_on
    from {{ ref('int_crm__activities') }} as activities
    cross join rules
    where activities.account_id is not null
        and (activities.deleted_on is null or activities.deleted_on > activities.visible_on)
),

changes as (
    select account_id, visible_on as changes_on, 'touches_90d' as measure, 1 as change from activities where is_touch
    union all
    select account_id, window_end_on, 'touches_90d', -1 from activities where is_touch
    union all
    select account_id, visible_on, 'meetings_90d', 1 from activities where kind = 'meeting'
    union all
    select account_id, window_end_on, 'meetings_90d', -1 from activities where kind = 'meeting'
    union all
    select account_id, visible_on, 'executive_touches_90d', 1 from activities where is_touch and is_executive_contact
    union all
    select account_id, window_end_on, 'executive_touches_90d', -1 from activities where is_touch and is_executive_contact
),

counts as (
    {{ running_counts(ref('int_calendar__account_days'), 'changes',
                      ['touches_90d', 'meetings_90d', 'executive_touches_90d']) }}
),

grid_bounds as (
    select min(as_of_date) as grid_start from {{ ref('int_calendar__account_days') }}
),

-- the latest touch that was never deleted: a running maximum (touches before the grid are
-- carried into its first day)
kept_touches as (
    select
        activities.account_id,
        greatest(activities.visible_on, grid_bounds.grid_start) as as_of_date,
        max(activities.visible_on) as touched_on
    from activities
    cross join grid_bounds
    where activities.is_touch and activities.deleted_on is null
    group by 1, 2
),

kept_latest as (
    select
        grid.account_id,
        grid.as_of_date,
        max(kept_touches.touched_on) over (
            partition by grid.account_id order by grid.as_of_date rows between unbounded preceding and current row
        ) as last_kept_touch_on
    from {{ ref('int_calendar__account_days') }} as grid
    left join kept_touches
        on grid.account_id = kept_touches.account_id
        and grid.as_of_date = kept_touches.as_of_date
),

-- deleted touches count on the days they existed (few: a range join is cheap)
deleted_latest as (
    select grid.account_id, grid.as_of_date, max(activities.visible_on) as last_deleted_touch_on
    from {{ ref('int_calendar__account_days') }} as grid
    inner join activities
        on grid.account_id = activities.account_id
        and activities.is_touch
        and activities.deleted_on is not null
        and activities.visible_on <= grid.as_of_date
        and grid.as_of_date < activities.deleted_on
    group by 1, 2
),

first_activity as (
    select min(visible_on) as first_activity_on from activities
),

measures as (
    select
        counts.account_id,
        counts.as_of_date,
        coalesce(
            counts.as_of_date >= {{ add_days('first_activity.first_activity_on', 'rules.history_lead_days') }},
            false
        ) as has_activity_data,
        -- greatest skips NULLs (DuckDB, PostgreSQL and Spark alike): either may be missing
        greatest(kept_latest.last_kept_touch_on, deleted_latest.last_deleted_touch_on) as last_touch_on,
        counts.touches_90d,
        counts.meetings_90d,
        counts.executive_touches_90d
    from counts
    inner join kept_latest
        on counts.account_id = kept_latest.account_id
        and counts.as_of_date = kept_latest.as_of_date
    left join deleted_latest
        on counts.account_id = deleted_latest.account_id
        and counts.as_of_date = deleted_latest.as_of_date
    cross join first_activity
    cross join rules
)

select
    measures.account_id,
    measures.as_of_date,
    measures.has_activity_data,
    case when measures.has_activity_data then measures.last_touch_on end as last_touch_on,
    case when measures.has_activity_data
        then {{ dbt.datediff('measures.last_touch_on', 'measures.as_of_date', 'day') }} end as days_since_touch,
    case when measures.has_activity_data then measures.touches_90d end as touches_90d,
    case when measures.has_activity_data then measures.meetings_90d end as meetings_90d,
    case when measures.has_activity_data then measures.executive_touches_90d end as executive_touches_90d,
    case when measures.has_activity_data then measures.executive_touches_90d > 0 end as executive_engaged_90d,
    case when measures.has_activity_data then
        rules.recency_weight * case
            when measures.last_touch_on is null then 0
            else greatest(0, least(1,
                cast(rules.touch_floor_days - {{ dbt.datediff('measures.last_touch_on', 'measures.as_of_date', 'day') }} as {{ type_double() }})
                / (rules.touch_floor_days - rules.touch_target_days)))
        end
        + rules.meetings_weight * least(1, cast(measures.meetings_90d as {{ type_double() }}) / rules.meetings_target)
        + rules.executive_weight * case when measures.executive_touches_90d > 0 then 1 else 0 end
    end as engagement_index
from measures
cross join rules
