with source as (
    select * from {{ source_or_empty('delighted', 'survey_responses', {
        'id': 'varchar',
        'person_id': 'varchar',
        'email': 'varchar',
        'survey_type': 'varchar',
        'score': 'bigint',
        'comment': 'varchar',
        'created_at': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as response_id,
        {{ to_id('person_id') }} as person_id,
        email,
        lower(survey_type) as survey_type,
        {{ to_integer('score') }} as score,
        nullif(trim(comment), '') as comment,
        {{ to_utc_timestamp('created_at') }} as responded_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'response_id', 'updated_at desc nulls last, dlt_load_id desc') }}
