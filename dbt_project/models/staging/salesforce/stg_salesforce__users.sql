with source as (
    select * from {{ source_or_empty('salesforce', 'users', {
        'id': 'varchar',
        'email': 'varchar',
        'name': 'varchar',
        'is_active': 'boolean',
        'system_modstamp': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_user_id,
        email,
        name as full_name,
        {{ to_flag('is_active') }} as is_active,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'salesforce_user_id', 'modified_at desc nulls last, dlt_load_id desc') }}
