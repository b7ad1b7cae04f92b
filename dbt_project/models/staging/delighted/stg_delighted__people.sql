with source as (
    select * from {{ source_or_empty('delighted', 'people', {
        'id': 'varchar',
        'email': 'varchar',
        'name': 'varchar',
        'created_at': 'timestamptz',
        'last_sent_at': 'timestamptz',
        'last_responded_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as person_id,
        email,
        nullif(trim(name), '') as name,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('last_sent_at') }} as last_sent_at,
        {{ to_utc_timestamp('last_responded_at') }} as last_responded_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'person_id', 'dlt_load_id desc') }}
