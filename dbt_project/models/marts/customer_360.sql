-- One row per account as of the warehouse's today: CRM facts, the contract covering today,
-- usage over the last 30 days, support over 90 days, NPS over 180 days, training, the
-- current health score and churn risk. Every measure is the value of the day-D models
-- for D = today, so it agrees with marts.health_scores.
-- churn_risk (0-1) is the churn model's calibrated 90-day probability for the account's
-- latest scored day (marts.churn_predictions), churn_drivers what raises it; both NULL
-- when no trustworthy model exists, and churn_null_reason says why. Never a band rate.

with accounts as (
    select * from {{ ref('int_crm__accounts') }}
),

latest_day as (
    select as_of_date as today
    from {{ ref('int_calendar__as_of_date') }}
),

-- everything known about the account today (contract, usage, support, voice, training)
today as (
    select inputs.*
    from {{ ref('int_account__daily_inputs') }} as inputs
    inner join latest_day
        on inputs.as_of_date = latest_day.today
),

-- response times of the tickets created in the support window
support_times as (
    select
        tickets.account_id,
        {{ median("tickets.first_response_minutes") }} as median_first_response_minutes_90d,
        {{ median("tickets.resolution_minutes") }} as median_resolution_minutes_90d
    from {{ ref('int_support__tickets') }} as tickets
    cross join latest_day
    where tickets.account_id is not null
        and tickets.created_on > {{ add_days('latest_day.today', -var('support_window_days')) }}
        and tickets.created_on <= latest_day.today
    group by tickets.account_id
),

tenants as (
    select account_id, count(*) as n_tenants
    from {{ ref('int_identity__tenant_accounts') }}
    where account_id is not null
    group by account_id
),

current_scores as (
    select * from {{ ref('health_score_current') }}
),

predictions as (
    select * from {{ source_or_empty('churn_predictions', 'churn_predictions', {
        'account_id': 'varchar', 'as_of_date': 'date', 'churn_probability_90d': 'double',
        'model_version': 'varchar', 'top_drivers': 'varchar', 'null_reason': 'varchar'}) }} as churn_predictions
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
    {{ dbt.datediff('latest_day.today', 'today.contract_end_date', 'day') }} as days_to_renewal,
    today.first_contract_start as customer_since,

    -- usage over the last 30 days (NULL without a matched tenant)
    today.active_users_30d,
    round(today.utilization, 4) as utilization_30d,
    today.logins_30d,
    today.logins_prev_30d,
    round(today.logins_trend_ratio - 1, 4) as logins_trend_30d,
    today.features_used_30d,
    today.last_activity_on,

    -- support (NULL without a help desk)
    today.open_tickets,
    today.tickets_90d,
    round(today.sla_breach_rate_90d, 4) as sla_breach_rate_90d,
    round(today.csat_90d, 4) as csat_90d,
    support_times.median_first_response_minutes_90d,
    support_times.median_resolution_minutes_90d,

    -- voice of the customer over the last 180 days (NULL without a survey tool)
    today.nps,
    case when today.has_survey_data then today.nps_responses end as nps_responses_180d,
    round(today.response_rate, 4) as nps_response_rate_180d,

    -- training (NULL without an LMS)
    today.trainings_completed,
    today.people_trained,
    today.onboarding_completed,

    current_scores.health_score,
    current_scores.health_band,
    current_scores.as_of_date as health_scored_on,
    current_scores.score_change_30d,
    current_scores.top_reasons,
    current_scores.coverage as health_coverage,
    round(predictions.churn_probability_90d, 4) as churn_risk,
    predictions.top_drivers as churn_drivers,
    predictions.model_version as churn_model_version,
    case
        when current_scores.account_id is null then 'never scored'
        when predictions.account_id is null then 'no churn prediction for the latest scored day'
        else predictions.null_reason
    end as churn_null_reason,
    latest_day.today as as_of_date
from accounts
cross join latest_day
left join today
    on accounts.account_id = today.account_id
left join support_times
    on accounts.account_id = support_times.account_id
left join tenants
    on accounts.account_id = tenants.account_id
left join current_scores
    on accounts.account_id = current_scores.account_id
left join predictions
    on current_scores.account_id = predictions.account_id
    and current_scores.as_of_date = predictions.as_of_date
