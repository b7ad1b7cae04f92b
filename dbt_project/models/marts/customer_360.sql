-- One row per account: CRM facts, the current contract, usage over the last 30 days,
-- the current health score. Support, voice-of-customer and training columns are typed
-- NULLs until their sources are ingested.

with accounts as (
    select * from {{ ref('int_crm__accounts') }}
),

world as (
    select as_of_date as world_date
    from {{ ref('int_calendar__as_of_date') }}
),

today as (
    select daily.*
    from {{ ref('int_health__daily_components') }} as daily
    inner join world
        on daily.as_of_date = world.world_date
),

tenants as (
    select account_id, count(*) as n_tenants
    from {{ ref('int_identity__tenant_accounts') }}
    where account_id is not null
    group by account_id
),

current_scores as (
    select * from {{ ref('health_score_current') }}
)

select
    accounts.account_id,
    accounts.salesforce_account_id,
    accounts.hubspot_company_id,
    accounts.name,
    accounts.domain,
    accounts.industry,
    accounts.employees,
    accounts.country,
    accounts.owner_csm_email as owner_csm,
    accounts.is_churned,
    coalesce(tenants.n_tenants, 0) as n_tenants,
    case when accounts.is_churned then 'churned' else today.lifecycle_stage end as lifecycle_stage,

    -- contract covering today
    today.contract_id,
    today.plan,
    today.mrr,
    today.seats,
    today.contract_end_date as renewal_date,
    {{ dbt.datediff('world.world_date', 'today.contract_end_date', 'day') }} as days_to_renewal,

    -- usage over the last 30 days (NULL without a matched tenant)
    today.active_users_30d,
    round(today.utilization, 4) as utilization_30d,
    today.logins_30d,
    today.logins_prev_30d,
    round(today.logins_trend_ratio - 1, 4) as logins_trend_30d,
    today.features_used_30d,

    -- support: filled once Zendesk / Freshdesk are ingested
    cast(null as integer) as open_tickets,
    cast(null as integer) as tickets_90d,
    cast(null as double) as sla_breach_rate_90d,
    cast(null as double) as csat_90d,

    -- voice of the customer: filled once the survey tool is ingested
    cast(null as double) as nps,
    cast(null as integer) as nps_responses_180d,
    cast(null as double) as nps_response_rate_180d,

    -- training: filled once the LMS is ingested
    cast(null as integer) as trainings_completed,
    cast(null as boolean) as onboarding_completed,

    current_scores.health_score,
    current_scores.health_band,
    current_scores.as_of_date as health_scored_on,
    current_scores.score_change_30d,
    current_scores.top_reasons,
    world.world_date as as_of_date
from accounts
cross join world
left join today
    on accounts.account_id = today.account_id
left join tenants
    on accounts.account_id = tenants.account_id
left join current_scores
    on accounts.account_id = current_scores.account_id
