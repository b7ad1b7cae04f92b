with source as (
    select * from {{ source_or_empty('surveys', 'responses', {
        'id': 'varchar',
        'invitation_id': 'varchar',
        'email': 'varchar',
        'score': 'bigint',
        'comment': 'varchar',
        'responded_at': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as response_id,
        {{ to_id('invitation_id') }} as invitation_id,
        email,
        {{ to_integer('score') }} as score,
        nullif(trim(comment), '') as comment,
        {{ to_utc_timestamp('responded_at') }} as responded_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'response_id', 'updated_at desc nulls last, dlt_load_id desc') }}
