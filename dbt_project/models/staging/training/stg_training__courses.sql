with source as (
    select * from {{ source_or_empty('training', 'courses', {
        'id': 'varchar',
        'title': 'varchar',
        'kind': 'varchar',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as course_id,
        title as course_title,
        lower(kind) as course_kind,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'course_id', 'updated_at desc nulls last, dlt_load_id desc') }}
