{{ config(materialized='table') }}

-- One row per account and day of its calendar: the product usage over rolling windows,
-- point in time (a day's row uses only events on or before it), with the account's firsts
-- that bound the calendar. int_health__daily_components adds the contract and the stage.
-- A model of its own so that DuckDB builds the event-scale windows and the joins of the
-- daily components one statement at a time, each within the memory limit (together, an
-- L world's 56 M active items and 8 M account days did not fit in 3 GB).
-- The calendar starts at the account's first contract / tenant / activity (but no earlier
-- than the look-back the scored history needs) and ends at the warehouse's today.

{%- set window_days = var('usage_window_days') %}
{%- set history_days = var('score_history_days') %}
{%- set users_lag_days = var('active_users_lag_days') %}
{%- set feature_days = var('feature_history_days') %}
{#- the first scored day needs two full usage windows before it (current + previous) and
    the active users of users_lag_days before it #}
{%- set lookback_days = history_days - 1 + [2 * window_days - 1, users_lag_days] | max %}

with latest_day as (
    select as_of_date as today
    from {{ ref('int_calendar__as_of_date') }}
),
contracts as (
    select * from {{ ref('int_crm__contracts') }}
),
matched_tenants as (
    select
        tenant_id,
        account_id,
        -- a tenant without a creation time is taken to have always existed
        coalesce(cast(tenant_created_at as date), cast('-infinity' as date)) as tenant_created_on
    from {{ ref('int_identity__tenant_accounts') }}
    where account_id is not null
),
daily_usage as (
    select * from {{ ref('int_product__account_daily_usage') }}
),
account_firsts as (
    select
        account_id,
        min(first_contract_start) as first_contract_start,
        min(first_tenant_on) as first_tenant_on,
        min(first_activity_on) as first_activity_on
    from (
        select account_id, start_date as first_contract_start, cast(null as date) as first_tenant_on, cast(null as date) as first_activity_on
        from contracts
        union all
        select account_id, null, tenant_created_on, null
        from matched_tenants
        union all
        select account_id, null, null, activity_date
        from daily_usage
    ) as firsts
    group by account_id
),

-- each account gets a dense calendar from its first contract / tenant / activity (but no
-- earlier than the look-back the scored history needs) up to the warehouse's today
account_bounds as (
    select
        account_firsts.account_id,
        account_firsts.first_contract_start,
        account_firsts.first_tenant_on,
        greatest(
            least(
                account_firsts.first_contract_start,
                account_firsts.first_tenant_on,
                account_firsts.first_activity_on
            ),
            {{ add_days('latest_day.today', -lookback_days) }}
        ) as spine_start,
        latest_day.today as spine_end
    from account_firsts
    cross join latest_day
),

account_days as (
    select
        account_id,
        {{ day_series('spine_start', 'spine_end') }} as as_of_date
    from account_bounds
    where spine_start <= spine_end
),

-- distinct users and features over the window, point-in-time and set-based:
-- an item (user or feature) counts on day D when it was active on a day in
-- (D - window, D], i.e. when D lies in the union of [d, d + window) over its active days d.
-- That union is a set of disjoint runs: a run starts on an active day with no active day
-- in the window before it, and ends (exclusive) one window after an active day with no
-- active day in the window after it. A running sum of +1 per run start and -1 per run end
-- is the distinct count on every day, and a run end never depends on days after D.
-- Features are also counted over the longer feature_history_days window (the account's
-- usual feature areas) and over the same window ending window_days ago (lagged below).
account_events as (
    select account_events.account_id, account_events.person_key, account_events.feature_name, account_events.active_on
    from {{ ref('int_product__account_events') }} as account_events
    cross join latest_day
    where account_events.active_on <= latest_day.today
),

active_items as (
    select distinct account_id, 'user' as item_kind, person_key as item, active_on
    from account_events
    where person_key is not null
    union all
    select distinct account_id, 'feature' as item_kind, feature_name as item, active_on
    from account_events
    where feature_name is not null
),

counted_windows as (
    select * from (values
        ('user', 'user', {{ window_days }}),
        ('feature', 'feature', {{ window_days }}),
        ('feature', 'feature_long', {{ feature_days }}),
        ('feature', 'feature_before', {{ feature_days - window_days }})
    ) as windows (item_kind, measure, window_length)
),

item_days as (
    select
        account_id,
        item_kind,
        active_on,
        lag(active_on) over item_history as previous_active_on,
        lead(active_on) over item_history as next_active_on
    from active_items
    window item_history as (partition by account_id, item_kind, item order by active_on)
),

run_changes as (
    select item_days.account_id, counted_windows.measure, item_days.active_on as changes_on, 1 as change
    from item_days
    inner join counted_windows
        on item_days.item_kind = counted_windows.item_kind
    where item_days.previous_active_on is null
        or {{ dbt.datediff('item_days.previous_active_on', 'item_days.active_on', 'day') }}
            >= counted_windows.window_length
    union all
    select
        item_days.account_id,
        counted_windows.measure,
        {{ add_days('item_days.active_on', 'counted_windows.window_length') }} as changes_on,
        -1 as change
    from item_days
    inner join counted_windows
        on item_days.item_kind = counted_windows.item_kind
    where item_days.next_active_on is null
        or {{ dbt.datediff('item_days.active_on', 'item_days.next_active_on', 'day') }}
            >= counted_windows.window_length
),

daily_changes as (
    select
        run_changes.account_id,
        -- changes from before the calendar starts are carried into its first day
        greatest(run_changes.changes_on, account_bounds.spine_start) as as_of_date,
        sum(change) filter (where measure = 'user') as user_change,
        sum(change) filter (where measure = 'feature') as feature_change,
        sum(change) filter (where measure = 'feature_long') as feature_long_change,
        sum(change) filter (where measure = 'feature_before') as feature_before_change
    from run_changes
    inner join account_bounds
        on run_changes.account_id = account_bounds.account_id
    where run_changes.changes_on <= account_bounds.spine_end
    group by run_changes.account_id, greatest(run_changes.changes_on, account_bounds.spine_start)
),

rolling_usage as (
    select
        account_days.account_id,
        account_days.as_of_date,
        cast(sum(coalesce(daily_usage.logins, 0)) over (
            partition by account_days.account_id
            order by account_days.as_of_date
            range between {{ interval_days(window_days - 1) }} preceding and current row
        ) as bigint) as logins_30d,
        cast(coalesce(sum(coalesce(daily_usage.logins, 0)) over (
            partition by account_days.account_id
            order by account_days.as_of_date
            range between {{ interval_days(2 * window_days - 1) }} preceding
                and {{ interval_days(window_days) }} preceding
        ), 0) as bigint) as logins_prev_30d,
        cast(sum(coalesce(daily_changes.user_change, 0)) over running_total as bigint) as active_users_30d,
        cast(sum(coalesce(daily_changes.feature_change, 0)) over running_total as bigint) as features_used_30d,
        cast(sum(coalesce(daily_changes.feature_long_change, 0)) over running_total as bigint)
            as features_used_long,
        cast(sum(coalesce(daily_changes.feature_before_change, 0)) over running_total as bigint)
            as features_used_before_window,
        max(daily_usage.activity_date) over running_total as last_activity_on
    from account_days
    left join daily_usage
        on account_days.account_id = daily_usage.account_id
        and account_days.as_of_date = daily_usage.activity_date
    left join daily_changes
        on account_days.account_id = daily_changes.account_id
        and account_days.as_of_date = daily_changes.as_of_date
    window running_total as (
        partition by account_days.account_id
        order by account_days.as_of_date
        rows between unbounded preceding and current row
    )
),

-- what the account did a while ago, for the trends: its active users users_lag_days
-- before, and the features it used in the window before the last window_days (its usual
-- feature areas). The calendar is dense, so the frame is exactly that one day.
earlier_usage as (
    select
        account_id,
        as_of_date,
        max(active_users_30d) over (
            partition by account_id
            order by as_of_date
            range between {{ interval_days(users_lag_days) }} preceding
                and {{ interval_days(users_lag_days) }} preceding
        ) as active_users_30d_earlier,
        max(features_used_before_window) over (
            partition by account_id
            order by as_of_date
            range between {{ interval_days(window_days) }} preceding
                and {{ interval_days(window_days) }} preceding
        ) as usual_features
    from rolling_usage
)

select
    rolling_usage.*,
    earlier_usage.active_users_30d_earlier,
    earlier_usage.usual_features,
    account_bounds.first_contract_start,
    account_bounds.first_tenant_on,
    account_firsts.first_activity_on
from rolling_usage
inner join earlier_usage
    on rolling_usage.account_id = earlier_usage.account_id
    and rolling_usage.as_of_date = earlier_usage.as_of_date
inner join account_bounds
    on rolling_usage.account_id = account_bounds.account_id
inner join account_firsts
    on rolling_usage.account_id = account_firsts.account_id
