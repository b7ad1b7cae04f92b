with source as (
    select * from {{ source_or_empty('salesforce', 'accounts', {
        'id': 'varchar',
        'name': 'varchar',
        'account_number': 'varchar',
        'website': 'varchar',
        'industry': 'varchar',
        'number_of_employees': 'bigint',
        'billing_country': 'varchar',
        'type': 'varchar',
        'owner_id': 'varchar',
        'created_date': 'timestamptz',
        'system_modstamp': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_account_id,
        nullif(trim(account_number), '') as account_number,
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
    where id is not null
)

{{ dedupe('renamed', 'salesforce_account_id', 'modified_at desc nulls last, dlt_load_id desc') }}
