-- What reverse ETL writes to each CRM account record (reverse_etl/mappings.yaml): one row
-- per scored account, with its record id in each CRM it lives in. Built only from marts,
-- never from the fields the sync writes, so the score cannot feed on itself.
-- churn_risk (0-1): the calibrated 90-day churn probability of the account's latest scored
-- day (marts.churn_predictions, carried by customer_360), churn_drivers what raises it;
-- both NULL when there is no trustworthy model (churn_null_reason says why, shown by
-- `cs360 status`).
-- account_page_url: the account's page in `cs360 serve`, only when CS360_PUBLIC_URL is set
-- (without the column the sync leaves the CRM field alone).
{%- set public_url = env_var('CS360_PUBLIC_URL', '') | trim %}
{%- if public_url and not (public_url.startswith('https://') or public_url.startswith('http://')) %}
    {{ exceptions.raise_compiler_error("CS360_PUBLIC_URL must be an http:// or https:// address") }}
{%- endif %}

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
    customers.churn_drivers,
    customers.churn_model_version,
    customers.churn_null_reason,
    {%- if public_url %}
    '{{ public_url.rstrip('/') | replace("'", "''") }}/accounts/' || customers.account_id as account_page_url,
    {%- endif %}
    cast(current_scores.as_of_date as timestamp) as scored_at
from customers
inner join current_scores
    on customers.account_id = current_scores.account_id
