with source as (
    select * from {{ source('salesforce', 'contacts') }}
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_contact_id,
        {{ to_id('account_id') }} as salesforce_account_id,
        email,
        first_name,
        last_name,
        title,
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
