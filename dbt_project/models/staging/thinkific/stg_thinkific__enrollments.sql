with source as (
    select * from {{ source_or_empty('thinkific', 'enrollments', {
        'id': 'bigint',
        'course_id': 'bigint',
        'course_name': 'varchar',
        'user_id': 'bigint',
        'user_email': 'varchar',
        'user_name': 'varchar',
        'activated_at': 'timestamptz',
        'started_at': 'timestamptz',
        'completed_at': 'timestamptz',
        'completed': 'boolean',
        'percentage_completed': 'double',
        'expired': 'boolean',
        'is_free_trial': 'boolean',
        'expiry_date': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as enrollment_id,
        {{ to_id('course_id') }} as course_id,
        course_name,
        {{ to_id('user_id') }} as user_id,
        user_email as email,
        user_name,
        {{ to_utc_timestamp('activated_at') }} as activated_at,
        {{ to_utc_timestamp('started_at') }} as started_at,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        {{ to_flag('completed') }} as is_completed,
        cast(percentage_completed as {{ type_double() }}) as percentage_completed,
        {{ to_flag('expired') }} as is_expired,
        {{ to_flag('is_free_trial') }} as is_free_trial,
        {{ to_utc_timestamp('expiry_date') }} as expires_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'enrollment_id', 'updated_at desc nulls last, dlt_load_id desc') }}
