with source as (
    select * from {{ source_or_empty('skilljar', 'courses', {
        'id': 'varchar',
        'title': 'varchar',
        'labels': 'varchar',
        'created_at': 'timestamptz',
        'modified_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as course_id,
        title as course_title,
        lower(labels) as course_labels,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('modified_at') }} as modified_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'course_id', 'modified_at desc nulls last, dlt_load_id desc') }}
