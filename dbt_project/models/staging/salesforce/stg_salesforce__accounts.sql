with source as (
    select * from {{ source('salesforce', 'accounts') }}
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_account_id,
        account_number,
        name as account_name,
        website,
        industry,
        {{ to_integer('number_of_employees') }} as employees,
        billing_country,
        type as account_type,
        {{ to_id('owner_id') }} as owner_user_id,
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
