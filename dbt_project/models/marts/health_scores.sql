{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'as_of_date'],
        incremental_strategy=daily_upsert_strategy(),
        partition_by=daily_upsert_partition('as_of_date'),
        on_schema_change='sync_all_columns',
    )
}}

-- The daily, point-in-time health score history (int_health__scores) as users and the
-- CRM sync read it: one row per (account_id, as_of_date).
-- Incremental like the history it exposes: a run copies the days that run scored (the
-- new days and the last var score_reprocess_days again) and keeps the earlier rows, so
-- this table holds exactly the rows of int_health__scores.

select * from {{ ref('int_health__scores') }}
{%- if is_incremental() %}
where as_of_date > {{ rescored_since('as_of_date', var('score_reprocess_days')) }}
{%- endif %}
