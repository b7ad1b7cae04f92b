{{ config(materialized='table') }}

-- One row per product tenant and the account it belongs to (macro resolve_identity).
-- Evidence, in rule order (seed identity_match_rules):
--   crm_id           the tenant stores a customer number / CRM record id
--   contact_email    its signup e-mail and its users' e-mails that are CRM contacts
--                    (one vote per e-mail)
--   email_domain     the domains of those e-mails, free-mail domains excluded
--                    (one vote per e-mail)
--   normalized_name  the tenant name equals an account name once normalized
-- Several tenants may belong to one account. Unmatched tenants stay with a NULL
-- account_id (match_rule 'unmatched'); conflicts are flagged, never dropped.
-- Matching is not time-aware: a tenant belongs to its account on every day.

with tenants as (
    select
        tenant_id,
        tenant_name,
        signup_email,
        created_at,
        crm_account_id,
        {{ email_domain('signup_email') }} as email_domain,
        {{ normalize_company_name('tenant_name') }} as normalized_name
    from {{ ref('stg_product__tenants') }}
),

tenant_emails as (
    select distinct tenant_id, email
    from (
        select tenant_id, {{ normalize_email('signup_email') }} as email from tenants
        union all
        select tenant_id, {{ normalize_email('email') }} as email from {{ ref('stg_product__users') }}
    ) as emails
    where email is not null
),

keys as (
    select * from {{ ref('int_identity__crm_keys') }}
),

candidates as (
    select tenants.tenant_id as record_id, keys.match_rule, keys.account_id, tenants.tenant_id as voter
    from tenants
    inner join keys
        on keys.match_rule = 'crm_id'
        and keys.match_key in (trim(tenants.crm_account_id), lower(trim(tenants.crm_account_id)))

    union all

    select tenant_emails.tenant_id, keys.match_rule, keys.account_id, tenant_emails.email
    from tenant_emails
    inner join keys
        on keys.match_rule = 'contact_email'
        and keys.match_key = tenant_emails.email

    union all

    select tenant_emails.tenant_id, keys.match_rule, keys.account_id, tenant_emails.email
    from tenant_emails
    inner join keys
        on keys.match_rule = 'email_domain'
        and keys.match_key = {{ email_domain('tenant_emails.email') }}

    union all

    select tenants.tenant_id, keys.match_rule, keys.account_id, tenants.tenant_id
    from tenants
    inner join keys
        on keys.match_rule = 'normalized_name'
        and keys.match_key = tenants.normalized_name
),

resolved as (
    {{ resolve_identity('candidates') }}
)

select
    tenants.tenant_id,
    tenants.tenant_name,
    tenants.signup_email,
    tenants.email_domain,
    tenants.created_at as tenant_created_at,
    resolved.account_id,
    coalesce(resolved.match_rule, 'unmatched') as match_rule,
    coalesce(resolved.confidence, 0.0) as confidence,
    coalesce(resolved.is_conflict, false) as is_conflict,
    coalesce(resolved.n_candidate_accounts, 0) as n_candidate_accounts,
    resolved.candidate_accounts
from tenants
left join resolved
    on tenants.tenant_id = resolved.record_id
