with source as (
    select * from {{ source('salesforce', 'opportunities') }}
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_opportunity_id,
        {{ to_id('account_id') }} as salesforce_account_id,
        name as opportunity_name,
        type as opportunity_type,
        stage_name,
        {{ to_date('close_date') }} as close_date,
        {{ to_money('amount') }} as amount,
        {{ to_flag('is_closed') }} as is_closed,
        {{ to_flag('is_won') }} as is_won,
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
