with source as (
    select * from {{ source('product', 'tenants') }}
),

renamed as (
    select
        {{ to_id('tenant_id') }} as tenant_id,
        name as tenant_name,
        signup_email,
        {{ to_utc_timestamp('created_at') }} as created_at,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
