with source as (
    select * from {{ source('hubspot', 'owners') }}
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_owner_id,
        email,
        first_name,
        last_name,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
