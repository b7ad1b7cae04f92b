{{ config(materialized='table') }}

-- The warehouse's "today", one row: the last day it has data for. Not the wall clock, so
-- the same data always builds the same marts: the latest product event day (UTC); without
-- product events, the latest ticket, survey response or enrollment; without any of them,
-- the latest contract start.
-- CRM audit stamps (SystemModstamp, hs_lastmodifieddate) are ignored on purpose: CRMs
-- stamp them when the record is written, not when the business event happened.
-- The var as_of_date overrides it, e.g. to rebuild the marts as they were on a past day.

{% if var('as_of_date') %}

select cast('{{ var("as_of_date") }}' as date) as as_of_date

{% else %}

with latest_event as (
    select max(cast(occurred_at as date)) as latest_on
    from {{ ref('stg_product__events') }}
),

latest_other_activity as (
    select max(latest_on) as latest_on
    from (
        select max(cast(created_at as date)) as latest_on from {{ ref('stg_zendesk__tickets') }}
        union all
        select max(cast(created_at as date)) from {{ ref('stg_freshdesk__tickets') }}
        union all
        select max(cast(responded_at as date)) from {{ ref('int_surveys__responses_unioned') }}
        union all
        select max(cast(registered_at as date)) from {{ ref('int_training__lms_enrollments') }}
    ) as activity
),

latest_contract_start as (
    select max(start_date) as latest_on
    from {{ ref('int_crm__contracts') }}
)

select coalesce(
    latest_event.latest_on,
    latest_other_activity.latest_on,
    latest_contract_start.latest_on
) as as_of_date
from latest_event
cross join latest_other_activity
cross join latest_contract_start

{% endif %}
