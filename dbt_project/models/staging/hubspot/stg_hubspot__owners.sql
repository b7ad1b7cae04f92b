with source as (
    select * from {{ source_or_empty('hubspot', 'owners', {
        'id': 'varchar',
        'email': 'varchar',
        'first_name': 'varchar',
        'last_name': 'varchar',
        'archived': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_owner_id,
        email,
        first_name,
        last_name,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'hubspot_owner_id', 'dlt_load_id desc') }}
