-- What became of each contract term, derived only from what the CRMs expose
-- (how Salesforce and HubSpot record contracts: docs/architecture.md):
--   open      the term has not ended by the warehouse's today (end_date > today);
--   renewed   another term of the account starts within renewal_grace_days of its end;
--   churned   it ended and no term follows. churn_evidence says why we believe it:
--             closed_lost_renewal (a Closed Lost Renewal opportunity / closedlost
--             existingbusiness deal closing near the end), crm_status (Salesforce Type
--             'Former Customer' / HubSpot customer_status 'churned' on its last term), or
--             lapsed (nothing recorded, the term simply ended without a successor).
-- Used for the churn labels of marts.score_validation (docs/health-score.md,
-- "Does it predict churn?").

{%- set grace_days = var('renewal_grace_days') %}

with contracts as (
    select * from {{ ref('int_crm__contracts') }}
),

latest_day as (
    select as_of_date as today from {{ ref('int_calendar__as_of_date') }}
),

accounts as (
    select account_id, is_churned from {{ ref('int_crm__accounts') }}
),

records as (
    select * from {{ ref('int_crm__account_records') }}
    where not is_deleted
),

lost_renewals as (
    select records.account_id, opportunities.close_date as lost_on
    from {{ ref('stg_salesforce__opportunities') }} as opportunities
    inner join records
        on records.source_system = 'salesforce'
        and opportunities.salesforce_account_id = records.record_id
    where not opportunities.is_deleted
        and lower(opportunities.opportunity_type) = 'renewal'
        and (lower(opportunities.stage_name) = 'closed lost'
             or (opportunities.is_closed and not opportunities.is_won))

    union all

    select records.account_id, cast(deals.closed_at as date) as lost_on
    from {{ ref('stg_hubspot__deals') }} as deals
    inner join records
        on records.source_system = 'hubspot'
        and deals.hubspot_company_id = records.record_id
    where not deals.is_deleted
        and deals.deal_stage = 'closedlost'
        and coalesce(lower(deals.deal_type), 'existingbusiness') = 'existingbusiness'
),

successors as (
    select contracts.contract_id, min(later.start_date) as successor_start_date
    from contracts
    inner join contracts as later
        on contracts.account_id = later.account_id
        and later.contract_id <> contracts.contract_id
        and later.start_date > contracts.start_date
        and later.start_date between {{ add_days('contracts.end_date', -grace_days) }}
            and {{ add_days('contracts.end_date', grace_days) }}
    group by contracts.contract_id
),

lost as (
    select contracts.contract_id, min(lost_renewals.lost_on) as lost_on
    from contracts
    inner join lost_renewals
        on contracts.account_id = lost_renewals.account_id
        and lost_renewals.lost_on between {{ add_days('contracts.end_date', -grace_days) }}
            and {{ add_days('contracts.end_date', grace_days) }}
    group by contracts.contract_id
),

last_terms as (
    select {{ distinct_on('account_id') }} contract_id
    from contracts
    {{ qualify_first('account_id', 'end_date desc nulls first, start_date desc') }}
)

select
    contracts.contract_id,
    contracts.account_id,
    contracts.start_date,
    contracts.end_date,
    contracts.mrr,
    contracts.seats,
    successors.successor_start_date,
    case
        when successors.contract_id is not null then 'renewed'
        when contracts.end_date is null or contracts.end_date > latest_day.today then 'open'
        else 'churned'
    end as outcome,
    case
        when successors.contract_id is not null
            or contracts.end_date is null
            or contracts.end_date > latest_day.today then null
        when lost.contract_id is not null then 'closed_lost_renewal'
        when last_terms.contract_id is not null and accounts.is_churned then 'crm_status'
        else 'lapsed'
    end as churn_evidence
from contracts
cross join latest_day
left join successors on contracts.contract_id = successors.contract_id
left join lost on contracts.contract_id = lost.contract_id
left join last_terms on contracts.contract_id = last_terms.contract_id
left join accounts on contracts.account_id = accounts.account_id
