-- The largest table of the warehouse: deduplicated once into a table rather than in a
-- view every downstream model would re-run.
{{ config(materialized='table') }}

with source as (
    select * from {{ source_or_empty('product', 'events', {
        'event_id': 'varchar',
        'tenant_id': 'varchar',
        'user_id': 'varchar',
        'event_type': 'varchar',
        'feature': 'varchar',
        'occurred_at': 'timestamptz',
    }) }} as raw
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
