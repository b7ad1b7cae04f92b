-- One row per contract term from either CRM, keyed to the warehouse account_id.
-- A contract covers [start_date, end_date); its renewal starts on the old end_date.
-- An account kept in both CRMs may hold the same term in each: the copy with the same
-- start and end is dropped (Salesforce wins).

with records as (
    select * from {{ ref('int_crm__account_records') }}
    where not is_deleted
),

salesforce_contracts as (
    select
        records.account_id,
        'salesforce:' || contracts.salesforce_contract_id as contract_id,
        'salesforce' as source_system,
        contracts.salesforce_contract_id as source_contract_id,
        contracts.start_date,
        contracts.end_date,
        contracts.mrr,
        contracts.seats,
        contracts.plan,
        contracts.created_at,
        -- a Contract record is made when the contract is signed
        contracts.created_at as signed_at
    from {{ ref('stg_salesforce__contracts') }} as contracts
    inner join records
        on records.source_system = 'salesforce'
        and contracts.salesforce_account_id = records.record_id
    where not contracts.is_deleted
),

-- only won deals that carry contract dates are contract terms; closedlost renewal
-- deals and one-off deals are not
hubspot_contracts as (
    select
        records.account_id,
        'hubspot:' || deals.hubspot_deal_id as contract_id,
        'hubspot' as source_system,
        deals.hubspot_deal_id as source_contract_id,
        deals.contract_start_date as start_date,
        deals.contract_end_date as end_date,
        deals.mrr,
        deals.seats,
        deals.plan,
        deals.created_at,
        -- a deal is opened before it is won: the renewal is signed when the deal closes won,
        -- not when it was created (its current stage would leak into the days before)
        coalesce(deals.closed_at, deals.created_at) as signed_at
    from {{ ref('stg_hubspot__deals') }} as deals
    inner join records
        on records.source_system = 'hubspot'
        and deals.hubspot_company_id = records.record_id
    where not deals.is_deleted
        and deals.deal_stage = 'closedwon'
        and deals.contract_start_date is not null
),

all_contracts as (
    select * from salesforce_contracts
    union all
    select * from hubspot_contracts
),

deduplicated as (
    select {{ distinct_on('account_id, start_date, end_date') }} *
    from all_contracts
    {{ qualify_first('account_id, start_date, end_date', "case source_system when 'salesforce' then 0 else 1 end, contract_id") }}
)

select
    *,
    -- the term before this one: what the last renewal changed
    lag(seats) over (partition by account_id order by start_date, contract_id) as previous_seats,
    lag(mrr) over (partition by account_id order by start_date, contract_id) as previous_mrr
from deduplicated
