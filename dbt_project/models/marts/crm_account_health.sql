-- What reverse ETL writes to each CRM account record (reverse_etl/mappings.yaml): one row
-- per scored account, with its record id in each CRM it lives in. Built only from marts,
-- never from the fields the sync writes, so the score cannot feed on itself.
-- churn_risk (0-1): how often accounts of the same band churned within 180 days in this
-- warehouse's own history (marts.score_calibration); NULL until there is such history.

with customers as (
    select * from {{ ref('customer_360') }}
),

current_scores as (
    select * from {{ ref('health_score_current') }}
)

select
    customers.account_id,
    customers.salesforce_account_id,
    customers.hubspot_company_id,
    current_scores.health_score,
    current_scores.health_band,
    current_scores.score_change_30d,
    current_scores.top_reasons,
    customers.lifecycle_stage,
    customers.churn_risk,
    cast(current_scores.as_of_date as timestamp) as scored_at
from customers
inner join current_scores
    on customers.account_id = current_scores.account_id
