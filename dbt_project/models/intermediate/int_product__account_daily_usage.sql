{{ config(materialized='table') }}

-- Product usage per account and UTC day, through the tenant -> account bridge.
-- Events of tenants that match no account are left out (they show in identity_bridge).
-- Distinct counts here are per day only; 30-day distinct counts are built in
-- int_health__daily_components, because daily distinct counts do not add up.

with matched_tenants as (
    select tenant_id, account_id
    from {{ ref('int_identity__tenant_accounts') }}
    where account_id is not null
),

account_events as (
    select
        matched_tenants.account_id,
        cast(events.occurred_at as date) as activity_date,
        events.user_id,
        events.event_type,
        events.feature_name
    from {{ ref('stg_product__events') }} as events
    inner join matched_tenants
        on events.tenant_id = matched_tenants.tenant_id
)

select
    account_id,
    activity_date,
    count(*) filter (where event_type = 'login') as logins,
    count(distinct user_id) as active_users,
    count(*) as events,
    count(distinct feature_name) as features_used
from account_events
group by account_id, activity_date
