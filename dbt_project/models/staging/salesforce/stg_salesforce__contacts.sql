with source as (
    select * from {{ source_or_empty('salesforce', 'contacts', {
        'id': 'varchar',
        'account_id': 'varchar',
        'email': 'varchar',
        'first_name': 'varchar',
        'last_name': 'varchar',
        'title': 'varchar',
        'created_date': 'timestamptz',
        'system_modstamp': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
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
    where id is not null
)

{{ dedupe('renamed', 'salesforce_contact_id', 'modified_at desc nulls last, dlt_load_id desc') }}
