with source as (
    select * from {{ source_or_empty('skilljar', 'enrollments', {
        'id': 'varchar',
        'published_course_id': 'varchar',
        'course_id': 'varchar',
        'user_id': 'varchar',
        'email': 'varchar',
        'enrolled_at': 'timestamptz',
        'expires_at': 'timestamptz',
        'active': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as enrollment_id,
        {{ to_id('published_course_id') }} as published_course_id,
        {{ to_id('course_id') }} as course_id,
        {{ to_id('user_id') }} as user_id,
        email,
        {{ to_utc_timestamp('enrolled_at') }} as enrolled_at,
        {{ to_utc_timestamp('expires_at') }} as expires_at,
        active as is_active,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'enrollment_id', 'dlt_load_id desc') }}
