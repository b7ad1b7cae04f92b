with source as (
    select * from {{ source('salesforce', 'contracts') }}
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_contract_id,
        {{ to_id('account_id') }} as salesforce_account_id,
        contract_number,
        {{ to_date('start_date') }} as start_date,
        {{ to_date('end_date') }} as end_date,
        status as contract_status,
        {{ to_integer('contract_term') }} as contract_term_months,
        {{ to_money('mrr__c') }} as mrr,
        {{ to_integer('seats__c') }} as seats,
        plan__c as plan,
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
)

select * from renamed
