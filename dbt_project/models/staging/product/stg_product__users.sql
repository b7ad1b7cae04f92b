with source as (
    select * from {{ source_or_empty('product', 'users', {
        'user_id': 'varchar',
        'tenant_id': 'varchar',
        'email': 'varchar',
        'role': 'varchar',
        'created_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('user_id') }} as user_id,
        {{ to_id('tenant_id') }} as tenant_id,
        email,
        role as user_role,
        {{ to_utc_timestamp('created_at') }} as created_at,
        _dlt_load_id as dlt_load_id
    from source
    where user_id is not null
)

{{ dedupe('renamed', 'user_id', 'dlt_load_id desc') }}
