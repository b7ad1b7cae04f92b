with source as (
    select * from {{ source('hubspot', 'companies') }}
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_company_id,
        name as company_name,
        domain,
        industry,
        {{ to_integer('numberofemployees') }} as employees,
        country,
        customer_id,
        {{ to_id('hubspot_owner_id') }} as hubspot_owner_id,
        lifecyclestage as hubspot_lifecycle_stage,
        customer_status,
        {{ to_utc_timestamp('createdate') }} as created_at,
        {{ to_utc_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
