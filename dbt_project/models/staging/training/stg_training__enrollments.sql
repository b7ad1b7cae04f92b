with source as (
    select * from {{ source_or_empty('training', 'enrollments', {
        'id': 'varchar',
        'course_id': 'varchar',
        'email': 'varchar',
        'registered_at': 'timestamptz',
        'attended_at': 'timestamptz',
        'completed_at': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as enrollment_id,
        {{ to_id('course_id') }} as course_id,
        email,
        {{ to_utc_timestamp('registered_at') }} as registered_at,
        {{ to_utc_timestamp('attended_at') }} as attended_at,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'enrollment_id', 'updated_at desc nulls last, dlt_load_id desc') }}
