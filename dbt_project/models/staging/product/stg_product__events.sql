-- The largest table of the warehouse: deduplicated once into a table rather than in a
-- view every downstream model would re-run.
--
-- Incremental (Spark: a table): event files are appended to raw_product.events load by
-- load and never edited in place, so a run reads only the loads after the newest one here
-- and replaces an event_id seen again (the newest load wins, as in a full build). Rows a
-- later load took out of the raw table (a changed file's old rows, a load that never
-- completed) are deleted here first, so the table stays what a full build makes.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='event_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ withdrawn_events_delete() }}",
    )
}}

with source as (
    select * from {{ source_or_empty('product', 'events', {
        'event_id': 'varchar',
        'tenant_id': 'varchar',
        'user_id': 'varchar',
        'event_type': 'varchar',
        'feature': 'varchar',
        'occurred_at': 'timestamptz',
    }) }} as raw
    {%- if is_incremental() %}
    where _dlt_load_id > (select coalesce(max(dlt_load_id), '') from {{ this }})
    {%- endif %}
),

renamed as (
    select
        {{ to_id('event_id') }} as event_id,
        {{ to_id('tenant_id') }} as tenant_id,
        {{ to_id('user_id') }} as user_id,
        event_type,
        feature as feature_name,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        _dlt_load_id as dlt_load_id
    from source
    -- an event without an id, a tenant or a time cannot be attributed to anything
    where event_id is not null
        and tenant_id is not null
        and {{ to_utc_timestamp('occurred_at') }} is not null
)

{{ dedupe('renamed', 'event_id', 'dlt_load_id desc') }}
