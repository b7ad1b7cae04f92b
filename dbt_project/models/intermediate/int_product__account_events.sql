{{ config(materialized='table') }}

-- Product events of tenants matched to an account, with the account and a person key.
-- An account may own several tenants; a person who works in two of them is counted once:
-- the person key is the user's normalized e-mail, else tenant + user id.
-- Events of unmatched tenants are left out here (they show in marts.identity_review).

with matched_tenants as (
    select tenant_id, account_id
    from {{ ref('int_identity__tenant_accounts') }}
    where account_id is not null
),

users as (
    select user_id, {{ normalize_email('email') }} as email
    from {{ ref('stg_product__users') }}
)

select
    matched_tenants.account_id,
    events.tenant_id,
    events.event_id,
    case
        when users.email is not null then users.email
        when events.user_id is not null then events.tenant_id || '/' || events.user_id
    end as person_key,
    events.event_type,
    events.feature_name,
    events.occurred_at,
    cast(events.occurred_at as date) as active_on
from {{ ref('stg_product__events') }} as events
inner join matched_tenants
    on events.tenant_id = matched_tenants.tenant_id
left join users
    on events.user_id = users.user_id
