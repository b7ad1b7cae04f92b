-- Walking-skeleton identity resolution: each product tenant gets at most one account.
-- Rules and confidences come from the identity_match_rules seed; the lowest priority
-- that matches wins, ties go to the smallest account_id so reruns are stable.

with tenants as (
    select
        tenant_id,
        tenant_name,
        signup_email,
        created_at,
        {{ email_domain('signup_email') }} as email_domain,
        {{ normalize_company_name('tenant_name') }} as normalized_name
    from {{ ref('stg_product__tenants') }}
),

accounts as (
    select account_id, domain, normalized_name
    from {{ ref('int_crm__accounts') }}
),

candidates as (
    select tenants.tenant_id, accounts.account_id, 'email_domain' as match_rule
    from tenants
    inner join accounts on tenants.email_domain = accounts.domain

    union all

    select tenants.tenant_id, accounts.account_id, 'normalized_name' as match_rule
    from tenants
    inner join accounts on tenants.normalized_name = accounts.normalized_name
),

best_match as (
    select
        candidates.tenant_id,
        candidates.account_id,
        candidates.match_rule,
        rules.confidence
    from candidates
    inner join {{ ref('identity_match_rules') }} as rules
        on candidates.match_rule = rules.match_rule
    qualify row_number() over (
        partition by candidates.tenant_id
        order by rules.priority, candidates.account_id
    ) = 1
)

select
    tenants.tenant_id,
    tenants.tenant_name,
    tenants.signup_email,
    tenants.email_domain,
    tenants.created_at as tenant_created_at,
    best_match.account_id,
    coalesce(best_match.match_rule, 'unmatched') as match_rule,
    coalesce(best_match.confidence, 0.0) as confidence
from tenants
left join best_match
    on tenants.tenant_id = best_match.tenant_id
