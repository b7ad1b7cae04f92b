{{ config(materialized='table') }}

-- "Today" of the world, one row. A synthetic world has no wall clock, so today is the
-- latest product event day (UTC), or the latest contract start when there are no events.
-- CRM audit stamps (SystemModstamp, hs_lastmodifieddate) are ignored on purpose: CRMs
-- stamp them when the record is written, not when the business event happened.
-- The var as_of_date overrides it, e.g. to rebuild the marts as they were on a past day.

{% if var('as_of_date') %}

select cast('{{ var("as_of_date") }}' as date) as as_of_date

{% else %}

with latest_event as (
    select max(cast(occurred_at as date)) as latest_event_on
    from {{ ref('stg_product__events') }}
),

latest_contract_start as (
    select max(start_date) as latest_start_on
    from {{ ref('int_crm__contracts') }}
)

select coalesce(latest_event.latest_event_on, latest_contract_start.latest_start_on) as as_of_date
from latest_event
cross join latest_contract_start

{% endif %}
