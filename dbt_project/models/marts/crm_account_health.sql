-- What reverse ETL writes to each CRM account record (reverse_etl/mappings.yaml): one row
-- per scored account, with its record id in each CRM it lives in. Built only from marts,
-- never from the fields the sync writes, so the score cannot feed on itself.
-- churn_risk (0-1): the calibrated 90-day churn probability of the account's latest scored
-- day (marts.churn_predictions, carried by customer_360), churn_drivers what raises it;
-- both NULL when there is no trustworthy model (churn_null_reason says why, shown by
-- `cs360 status`).
-- account_page_url: the account's page in `cs360 serve`, only when CS360_PUBLIC_URL is set
-- (without the column the sync leaves the CRM field alone).
-- The columns and their types are an enforced dbt contract (_marts__models.yml), so every
-- column is cast to the type declared there. A contract names a fixed set of columns: the
-- optional account_page_url is not in it, so with CS360_PUBLIC_URL set the model is built
-- without the contract check.
{%- set public_url = env_var('CS360_PUBLIC_URL', '') | trim %}
{%- if public_url and not (public_url.startswith('https://') or public_url.startswith('http://')) %}
    {{ exceptions.raise_compiler_error("CS360_PUBLIC_URL must be an http:// or https:// address") }}
{%- endif %}
{%- if public_url %}
{{ config(contract={'enforced': false}) }}
{%- endif %}

with customers as (
    select * from {{ ref('customer_360') }}
),

current_scores as (
    select * from {{ ref('health_score_current') }}
)

select
    cast(customers.account_id as {{ dbt.type_string() }}) as account_id,
    cast(customers.salesforce_account_id as {{ dbt.type_string() }}) as salesforce_account_id,
    cast(customers.hubspot_company_id as {{ dbt.type_string() }}) as hubspot_company_id,
    cast(current_scores.health_score as {{ type_double() }}) as health_score,
    cast(current_scores.health_band as {{ dbt.type_string() }}) as health_band,
    cast(current_scores.score_change_30d as {{ type_double() }}) as score_change_30d,
    cast(current_scores.top_reasons as {{ dbt.type_string() }}) as top_reasons,
    cast(customers.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
    cast(customers.churn_risk as {{ type_double() }}) as churn_risk,
    cast(customers.churn_drivers as {{ dbt.type_string() }}) as churn_drivers,
    cast(customers.churn_model_version as {{ dbt.type_string() }}) as churn_model_version,
    cast(customers.churn_null_reason as {{ dbt.type_string() }}) as churn_null_reason,
    {%- if public_url %}
    '{{ public_url.rstrip('/') | replace("'", "''") }}/accounts/' || customers.account_id as account_page_url,
    {%- endif %}
    cast(current_scores.as_of_date as {{ dbt.type_timestamp() }}) as scored_at
from customers
inner join current_scores
    on customers.account_id = current_scores.account_id
