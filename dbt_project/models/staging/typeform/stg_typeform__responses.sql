with source as (
    select * from {{ source_or_empty('typeform', 'responses', {
        'id': 'varchar',
        'form_id': 'varchar',
        'email': 'varchar',
        'score': 'bigint',
        'comment': 'varchar',
        'landed_at': 'timestamptz',
        'submitted_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as response_id,
        form_id,
        email,
        {{ to_integer('score') }} as score,
        nullif(trim(comment), '') as comment,
        {{ to_utc_timestamp('landed_at') }} as landed_at,
        {{ to_utc_timestamp('submitted_at') }} as responded_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'response_id', 'dlt_load_id desc') }}
