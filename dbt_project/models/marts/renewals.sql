-- One row per open contract that ends within the next 180 days (var renewal_horizon_days):
-- the renewal book with usage next to the contract, and a renewal risk in plain rules.
-- "Open" means no renewal term has been recorded yet (int_crm__contract_outcomes).
--   renewal_risk  high    red, or utilization below var renewal_risk_low_utilization
--                 medium  yellow, or utilization below var renewal_risk_mid_utilization,
--                         or logins fell by var renewal_risk_logins_drop or more
--                 low     otherwise
--                 unknown no health score (e.g. no product tenant matched)
-- churn_risk / churn_drivers: the churn model's calibrated 90-day probability and its
-- drivers (customer_360); NULL when no trustworthy model exists.

with latest_day as (
    select as_of_date as today from {{ ref('int_calendar__as_of_date') }}
),

open_contracts as (
    select outcomes.*
    from {{ ref('int_crm__contract_outcomes') }} as outcomes
    cross join latest_day
    where outcomes.outcome = 'open'
        and outcomes.start_date <= latest_day.today
        and outcomes.end_date > latest_day.today
        and outcomes.end_date <= {{ add_days('latest_day.today', var('renewal_horizon_days')) }}
),

customers as (
    select * from {{ ref('customer_360') }}
),

contracts as (
    select contract_id, plan from {{ ref('int_crm__contracts') }}
),

assessed as (
    select
        open_contracts.account_id,
        open_contracts.contract_id,
        customers.name,
        customers.owner_csm,
        open_contracts.end_date as renewal_date,
        {{ dbt.datediff('latest_day.today', 'open_contracts.end_date', 'day') }} as days_to_renewal,
        open_contracts.mrr,
        open_contracts.mrr * 12 as arr,
        open_contracts.seats,
        contracts.plan,
        customers.lifecycle_stage,
        customers.health_score,
        customers.health_band,
        customers.score_change_30d,
        customers.active_users_30d,
        customers.utilization_30d,
        customers.logins_trend_30d,
        customers.open_tickets,
        customers.nps,
        customers.churn_risk,
        customers.churn_drivers,
        customers.top_reasons
    from open_contracts
    cross join latest_day
    left join customers
        on open_contracts.account_id = customers.account_id
    left join contracts
        on open_contracts.contract_id = contracts.contract_id
)

select
    *,
    case
        when health_score is null then 'unknown'
        when health_band = 'red' or utilization_30d < {{ var('renewal_risk_low_utilization') }} then 'high'
        when health_band = 'yellow'
            or utilization_30d < {{ var('renewal_risk_mid_utilization') }}
            or logins_trend_30d <= -{{ var('renewal_risk_logins_drop') }}
            then 'medium'
        else 'low'
    end as renewal_risk
from assessed
