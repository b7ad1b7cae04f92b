with source as (
    select * from {{ source_or_empty('salesforce', 'contracts', {
        'id': 'varchar',
        'account_id': 'varchar',
        'contract_number': 'varchar',
        'start_date': 'varchar',
        'end_date': 'varchar',
        'status': 'varchar',
        'contract_term': 'bigint',
        'mrr__c': 'double',
        'seats__c': 'double',
        'plan__c': 'varchar',
        'created_date': 'timestamptz',
        'system_modstamp': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
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
    -- a contract without an account or a start covers nothing
    where id is not null
        and account_id is not null
        and {{ to_date('start_date') }} is not null
)

{{ dedupe('renamed', 'salesforce_contract_id', 'modified_at desc nulls last, dlt_load_id desc') }}
