with source as (
    select * from {{ source_or_empty('zendesk', 'users', {
        'id': 'bigint',
        'email': 'varchar',
        'name': 'varchar',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as zendesk_user_id,
        email,
        name as user_name,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'zendesk_user_id', 'updated_at desc nulls last, dlt_load_id desc') }}
