{{ config(materialized='table') }}

-- One row per account and day: the point-in-time inputs of the health score.
-- The row for day D uses only events that occurred on or before D (UTC) and the
-- contract covering D. Everything is set-based: the product usage over rolling windows on
-- a dense per-account calendar comes from int_product__account_rolling_usage; here the
-- covering contract, the lifecycle stage and the raw values of the components.

{%- set users_lag_days = var('active_users_lag_days') %}

with lifecycle_rules as (
    select
        max(value) filter (where parameter = 'onboarding_setup_active_users') as setup_active_users,
        cast(max(value) filter (where parameter = 'onboarding_max_days') as integer) as onboarding_max_days,
        cast(max(value) filter (where parameter = 'renewal_window_days') as integer) as renewal_window_days
    from {{ ref('lifecycle_rules') }}
),

contracts as (
    select * from {{ ref('int_crm__contracts') }}
),

-- the account's calendar and its product usage, one row per account and day
rolling_usage as (
    select * from {{ ref('int_product__account_rolling_usage') }}
),

-- the product's feature catalogue as known on each day: features seen in any tenant
feature_first_seen as (
    select feature_name, min(cast(occurred_at as date)) as first_seen_on
    from {{ ref('stg_product__events') }}
    where feature_name is not null
    group by feature_name
),

features_available as (
    select
        calendar.as_of_date,
        count(feature_first_seen.feature_name) as features_available
    from (select distinct as_of_date from rolling_usage) as calendar
    left join feature_first_seen
        on feature_first_seen.first_seen_on <= calendar.as_of_date
    group by calendar.as_of_date
),

-- setup is done on the first day an onboarding course was completed (and the product
-- was used), or on the first day enough people were active
onboarding_trainings as (
    select account_id, min(completed_on) as onboarding_completed_on
    from {{ ref('int_training__enrollments') }}
    where course_kind = 'onboarding' and completed_on is not null and account_id is not null
    group by account_id
),

setup_days as (
    select
        rolling_usage.account_id,
        min(rolling_usage.as_of_date) filter (
            where rolling_usage.active_users_30d >= lifecycle_rules.setup_active_users
        ) as enough_users_on
    from rolling_usage
    cross join lifecycle_rules
    group by rolling_usage.account_id
),

handoffs as (
    select
        accounts.account_id,
        -- explicit cases: DuckDB's least / greatest skip NULLs
        case
            when onboarding_trainings.onboarding_completed_on is null
                or accounts.first_activity_on is null
                then setup_days.enough_users_on
            else least(
                greatest(onboarding_trainings.onboarding_completed_on, accounts.first_activity_on),
                coalesce(setup_days.enough_users_on, cast('infinity' as date))
            )
        end as setup_done_on
    from (select distinct account_id, first_activity_on from rolling_usage) as accounts
    left join onboarding_trainings
        on accounts.account_id = onboarding_trainings.account_id
    left join setup_days
        on accounts.account_id = setup_days.account_id
),

-- the contract covering the day; with overlapping terms the latest start wins
covering_contracts as (
    select {{ distinct_on('rolling_usage.account_id, rolling_usage.as_of_date') }}
        rolling_usage.account_id,
        rolling_usage.as_of_date,
        contracts.contract_id,
        contracts.start_date as contract_start_date,
        contracts.end_date as contract_end_date,
        contracts.mrr,
        contracts.seats,
        contracts.plan,
        contracts.previous_seats,
        contracts.previous_mrr
    from rolling_usage
    inner join contracts
        on rolling_usage.account_id = contracts.account_id
        and contracts.start_date <= rolling_usage.as_of_date
        and (contracts.end_date is null or rolling_usage.as_of_date < contracts.end_date)
    {{ qualify_first('rolling_usage.account_id, rolling_usage.as_of_date', 'contracts.start_date desc, contracts.contract_id desc') }}
),

measures as (
    select
        rolling_usage.account_id,
        rolling_usage.as_of_date,
        rolling_usage.first_contract_start,
        covering_contracts.contract_id,
        covering_contracts.contract_start_date,
        covering_contracts.contract_end_date,
        covering_contracts.mrr,
        covering_contracts.seats,
        covering_contracts.plan,
        covering_contracts.previous_seats,
        covering_contracts.previous_mrr,
        case
            when covering_contracts.contract_id is null then null
            -- the renewal window comes first: whatever else, the decision is near
            when {{ dbt.datediff('rolling_usage.as_of_date', 'covering_contracts.contract_end_date', 'day') }}
                <= lifecycle_rules.renewal_window_days
                then 'renewal'
            -- onboarding from the first contract until setup is done and usage has
            -- started, at most onboarding_max_days
            when rolling_usage.as_of_date >= rolling_usage.first_contract_start
                and rolling_usage.as_of_date
                    < {{ add_days('rolling_usage.first_contract_start', 'lifecycle_rules.onboarding_max_days') }}
                and (handoffs.setup_done_on is null or rolling_usage.as_of_date < handoffs.setup_done_on)
                then 'onboarding'
            else 'adoption'
        end as lifecycle_stage,
        -- usage only means something once a matched tenant exists; before that (or
        -- without any tenant) the usage columns are NULL, not zero
        coalesce(rolling_usage.as_of_date >= rolling_usage.first_tenant_on, false) as has_product_data,
        rolling_usage.active_users_30d,
        rolling_usage.logins_30d,
        rolling_usage.logins_prev_30d,
        rolling_usage.features_used_30d,
        rolling_usage.features_used_long,
        rolling_usage.last_activity_on,
        rolling_usage.usual_features,
        -- the earlier count means something only if the product was in use then
        case
            when {{ add_days('rolling_usage.as_of_date', -users_lag_days) }} >= rolling_usage.first_tenant_on
                then rolling_usage.active_users_30d_earlier
        end as active_users_30d_earlier,
        features_available.features_available,
        handoffs.setup_done_on
    from rolling_usage
    inner join features_available
        on rolling_usage.as_of_date = features_available.as_of_date
    left join covering_contracts
        on rolling_usage.account_id = covering_contracts.account_id
        and rolling_usage.as_of_date = covering_contracts.as_of_date
    left join handoffs
        on rolling_usage.account_id = handoffs.account_id
    cross join lifecycle_rules
),

product_measures as (
    select
        account_id,
        as_of_date,
        first_contract_start,
        contract_id,
        contract_start_date,
        contract_end_date,
        mrr,
        seats,
        plan,
        previous_seats,
        previous_mrr,
        lifecycle_stage,
        has_product_data,
        case when has_product_data then active_users_30d end as active_users_30d,
        case when has_product_data then logins_30d end as logins_30d,
        case when has_product_data then logins_prev_30d end as logins_prev_30d,
        case when has_product_data then features_used_30d end as features_used_30d,
        case when has_product_data then features_used_long end as features_used_long,
        case when has_product_data then usual_features end as usual_features,
        case when has_product_data then active_users_30d_earlier end as active_users_30d_earlier,
        case when has_product_data then features_available end as features_available,
        case when has_product_data then last_activity_on end as last_activity_on,
        -- the hand-off to adoption, visible only from the day it happened
        case when setup_done_on <= as_of_date then setup_done_on end as setup_done_on
    from measures
)

select
    *,
    -- the raw values the score components are computed from; NULL = no data
    {{ ratio('active_users_30d', 'seats') }} as utilization,
    {{ ratio('logins_30d', 'seats') }} as logins_per_seat,
    {{ ratio('logins_30d', 'logins_prev_30d') }} as logins_trend_ratio,
    {{ ratio('features_used_30d', 'features_available') }} as breadth,
    -- of the features used in the window_days..feature_history_days before D, the share
    -- also used in the last window_days: usual + recent - (usual or recent) = both
    {{ ratio('usual_features + features_used_30d - features_used_long', 'usual_features') }} as feature_retention,
    {{ ratio('active_users_30d', 'active_users_30d_earlier') }} as active_users_trend_ratio
from product_measures
