with source as (
    select * from {{ source_or_empty('salesforce', 'opportunities', {
        'id': 'varchar',
        'account_id': 'varchar',
        'name': 'varchar',
        'type': 'varchar',
        'stage_name': 'varchar',
        'close_date': 'date',
        'amount': 'double',
        'is_closed': 'boolean',
        'is_won': 'boolean',
        'created_date': 'timestamptz',
        'system_modstamp': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
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
    where id is not null
)

{{ dedupe('renamed', 'salesforce_opportunity_id', 'modified_at desc nulls last, dlt_load_id desc') }}
