{{ config(materialized='table') }}

-- One row per e-mail address seen outside the CRMs (product users and signups, help-desk
-- requesters, survey invitees and respondents, training attendees) and the account the
-- person belongs to (macro resolve_identity). Evidence, in rule order:
--   contact_email   the address is a contact of the account in a CRM
--   email_domain    its domain is the account's (free-mail domains excluded)
--   product_tenant  the address is a user (or the signup) of a product tenant matched to
--                   the account (one vote per tenant)
-- Addresses that match nothing stay with a NULL account_id ('unmatched').

with addresses as (
    select distinct email
    from (
        select {{ normalize_email('email') }} as email from {{ ref('stg_product__users') }}
        union all
        select {{ normalize_email('signup_email') }} from {{ ref('stg_product__tenants') }}
        union all
        select {{ normalize_email('email') }} from {{ ref('stg_zendesk__users') }}
        union all
        select {{ normalize_email('requester_email') }} from {{ ref('stg_freshdesk__tickets') }}
        union all
        select email from {{ ref('int_surveys__people') }}
        union all
        select {{ normalize_email('email') }} from {{ ref('int_training__lms_enrollments') }}
    ) as seen
    where email is not null
),

keys as (
    select * from {{ ref('int_identity__crm_keys') }}
),

tenant_members as (
    select distinct emails.email, tenants.tenant_id, tenants.account_id
    from (
        select tenant_id, {{ normalize_email('email') }} as email from {{ ref('stg_product__users') }}
        union all
        select tenant_id, {{ normalize_email('signup_email') }} from {{ ref('stg_product__tenants') }}
    ) as emails
    inner join {{ ref('int_identity__tenant_accounts') }} as tenants
        on emails.tenant_id = tenants.tenant_id
    where emails.email is not null
        and tenants.account_id is not null
),

candidates as (
    select addresses.email as record_id, keys.match_rule, keys.account_id, addresses.email as voter
    from addresses
    inner join keys
        on keys.match_rule = 'contact_email'
        and keys.match_key = addresses.email

    union all

    select addresses.email, keys.match_rule, keys.account_id, addresses.email
    from addresses
    inner join keys
        on keys.match_rule = 'email_domain'
        and keys.match_key = {{ email_domain('addresses.email') }}

    union all

    select email, 'product_tenant', account_id, tenant_id
    from tenant_members
),

resolved as (
    {{ resolve_identity('candidates') }}
)

select
    addresses.email,
    {{ email_domain('addresses.email') }} as email_domain,
    resolved.account_id,
    coalesce(resolved.match_rule, 'unmatched') as match_rule,
    coalesce(resolved.confidence, 0.0) as confidence,
    coalesce(resolved.is_conflict, false) as is_conflict,
    coalesce(resolved.n_candidate_accounts, 0) as n_candidate_accounts,
    resolved.candidate_accounts
from addresses
left join resolved
    on addresses.email = resolved.record_id
