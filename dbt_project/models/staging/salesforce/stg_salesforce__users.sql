with source as (
    select * from {{ source('salesforce', 'users') }}
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_user_id,
        email,
        name as full_name,
        {{ to_flag('is_active') }} as is_active,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
