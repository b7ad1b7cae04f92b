-- One row per account_id: Salesforce accounts and HubSpot companies unified on the
-- customer number the company keeps in its CRM
-- (docs/health-score.md, "Whose data is it").

with records as (
    select * from {{ ref('int_crm__account_records') }}
    where not is_deleted
),

salesforce_accounts as (
    select {{ distinct_on('records.account_id') }}
        records.account_id,
        accounts.salesforce_account_id,
        accounts.account_name,
        {{ normalize_domain('accounts.website') }} as domain,
        accounts.industry,
        accounts.employees,
        accounts.billing_country as country,
        lower(owners.email) as owner_csm_email,
        accounts.account_type = 'Former Customer' as is_churned,
        accounts.created_at
    from {{ ref('stg_salesforce__accounts') }} as accounts
    inner join records
        on records.source_system = 'salesforce'
        and accounts.salesforce_account_id = records.record_id
    left join {{ ref('stg_salesforce__users') }} as owners
        on accounts.owner_user_id = owners.salesforce_user_id
    -- a customer number entered twice: keep the most recently changed record
    {{ qualify_first('records.account_id', 'accounts.modified_at desc nulls last, accounts.salesforce_account_id') }}
),

hubspot_companies as (
    select {{ distinct_on('records.account_id') }}
        records.account_id,
        companies.hubspot_company_id,
        companies.company_name,
        {{ normalize_domain('companies.domain') }} as domain,
        companies.industry,
        companies.employees,
        companies.country,
        lower(owners.email) as owner_csm_email,
        lower(companies.customer_status) = 'churned' as is_churned,
        companies.created_at
    from {{ ref('stg_hubspot__companies') }} as companies
    inner join records
        on records.source_system = 'hubspot'
        and companies.hubspot_company_id = records.record_id
    left join {{ ref('stg_hubspot__owners') }} as owners
        on companies.hubspot_owner_id = owners.hubspot_owner_id
    {{ qualify_first('records.account_id', 'companies.modified_at desc nulls last, companies.hubspot_company_id') }}
),

-- an account kept in both CRMs carries the same number in each: it is one account;
-- Salesforce wins where both hold a value
unified as (
    select
        coalesce(sf.account_id, hs.account_id) as account_id,
        sf.salesforce_account_id,
        hs.hubspot_company_id,
        coalesce(sf.account_name, hs.company_name) as name,
        coalesce(sf.domain, hs.domain) as domain,
        coalesce(sf.industry, hs.industry) as industry,
        coalesce(sf.employees, hs.employees) as employees,
        coalesce(sf.country, hs.country) as country,
        coalesce(sf.owner_csm_email, hs.owner_csm_email) as owner_csm_email,
        coalesce(sf.is_churned, false) or coalesce(hs.is_churned, false) as is_churned,
        least(sf.created_at, hs.created_at) as created_at
    from salesforce_accounts as sf
    full outer join hubspot_companies as hs
        on sf.account_id = hs.account_id
)

select
    *,
    {{ normalize_company_name('name') }} as normalized_name
from unified
