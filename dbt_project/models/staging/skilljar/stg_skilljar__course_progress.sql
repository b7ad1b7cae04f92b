with source as (
    select * from {{ source_or_empty('skilljar', 'course_progress', {
        'course_progress_id': 'varchar',
        'user_id': 'varchar',
        'published_course_id': 'varchar',
        'course_id': 'varchar',
        'course_title': 'varchar',
        'enrollment_id': 'varchar',
        'enrolled_at': 'timestamptz',
        'completed_at': 'timestamptz',
        'latest_activity': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('course_progress_id') }} as course_progress_id,
        {{ to_id('user_id') }} as user_id,
        {{ to_id('published_course_id') }} as published_course_id,
        {{ to_id('course_id') }} as course_id,
        course_title,
        {{ to_id('enrollment_id') }} as latest_enrollment_id,
        {{ to_utc_timestamp('enrolled_at') }} as latest_enrolled_at,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        {{ to_utc_timestamp('latest_activity') }} as latest_activity_at,
        _dlt_load_id as dlt_load_id
    from source
    where course_progress_id is not null
)

{{ dedupe('renamed', 'course_progress_id', 'dlt_load_id desc') }}
