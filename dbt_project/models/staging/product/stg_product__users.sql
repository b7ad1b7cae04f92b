with source as (
    select * from {{ source('product', 'users') }}
),

renamed as (
    select
        {{ to_id('user_id') }} as user_id,
        {{ to_id('tenant_id') }} as tenant_id,
        email,
        role as user_role,
        {{ to_utc_timestamp('created_at') }} as created_at,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
