{{ config(materialized='table') }}

-- Product usage per account and UTC day: logins (event_type = 'login'), active people,
-- events, distinct features. Distinct counts here are per day only; 30-day distinct
-- counts are built in int_health__daily_components, because daily distinct counts do
-- not add up. Only days with events have rows.

select
    account_id,
    active_on as activity_date,
    count(*) filter (where event_type = 'login') as logins,
    count(distinct person_key) as active_users,
    count(*) as events,
    count(distinct feature_name) as features_used
from {{ ref('int_product__account_events') }}
group by account_id, active_on
