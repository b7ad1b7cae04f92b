{{ config(materialized='table') }}

-- One row per account and day of the scored history: the last score_history_days days up
-- to the warehouse's today, for every account of int_crm__accounts. The grid the daily
-- support, survey and training measures are computed on.

{%- set history_days = var('score_history_days') %}

with latest_day as (
    select as_of_date as today from {{ ref('int_calendar__as_of_date') }}
),

days as (
    select {{ day_series(add_days('latest_day.today', -(history_days - 1)), 'latest_day.today') }} as as_of_date
    from latest_day
)

select accounts.account_id, days.as_of_date
from {{ ref('int_crm__accounts') }} as accounts
cross join days
