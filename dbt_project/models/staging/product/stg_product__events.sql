with source as (
    select * from {{ source('product', 'events') }}
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
)

select * from renamed
