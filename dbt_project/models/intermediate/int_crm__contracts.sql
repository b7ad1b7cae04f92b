-- One row per contract term from either CRM, keyed to the warehouse account_id.
-- A contract covers [start_date, end_date); its renewal starts on the old end_date.

with salesforce_account_ids as (
    select
        salesforce_account_id,
        coalesce(
            nullif(trim(account_number), ''),
            'salesforce:' || salesforce_account_id
        ) as account_id
    from {{ ref('stg_salesforce__accounts') }}
    where not is_deleted
),

salesforce_contracts as (
    select
        accounts.account_id,
        'salesforce:' || contracts.salesforce_contract_id as contract_id,
        'salesforce' as source_system,
        contracts.salesforce_contract_id as source_contract_id,
        contracts.start_date,
        contracts.end_date,
        contracts.mrr,
        contracts.seats,
        contracts.plan
    from {{ ref('stg_salesforce__contracts') }} as contracts
    inner join salesforce_account_ids as accounts
        on contracts.salesforce_account_id = accounts.salesforce_account_id
    where not contracts.is_deleted
),

hubspot_company_ids as (
    select
        hubspot_company_id,
        coalesce(
            nullif(trim(customer_id), ''),
            'hubspot:' || hubspot_company_id
        ) as account_id
    from {{ ref('stg_hubspot__companies') }}
    where not is_deleted
),

-- only won deals that carry contract dates are contract terms; closedlost renewal
-- deals and one-off deals are not
hubspot_contracts as (
    select
        companies.account_id,
        'hubspot:' || deals.hubspot_deal_id as contract_id,
        'hubspot' as source_system,
        deals.hubspot_deal_id as source_contract_id,
        deals.contract_start_date as start_date,
        deals.contract_end_date as end_date,
        deals.mrr,
        deals.seats,
        deals.plan
    from {{ ref('stg_hubspot__deals') }} as deals
    inner join hubspot_company_ids as companies
        on deals.hubspot_company_id = companies.hubspot_company_id
    where not deals.is_deleted
        and deals.deal_stage = 'closedwon'
        and deals.contract_start_date is not null
)

select * from salesforce_contracts
union all
select * from hubspot_contracts
