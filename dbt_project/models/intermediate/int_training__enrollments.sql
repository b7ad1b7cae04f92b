-- One row per LMS enrollment with the attendee's account (identity_bridge, by e-mail)
-- and the kind of course.

with bridge as (
    select source_id, account_id
    from {{ ref('identity_bridge') }}
    where source_system = 'training'
)

select
    enrollments.enrollment_id,
    enrollments.course_id,
    courses.course_title,
    courses.course_kind,
    {{ normalize_email('enrollments.email') }} as email,
    bridge.account_id,
    enrollments.registered_at,
    enrollments.attended_at,
    enrollments.completed_at,
    cast(enrollments.completed_at as date) as completed_on
from {{ ref('stg_training__enrollments') }} as enrollments
left join {{ ref('stg_training__courses') }} as courses
    on enrollments.course_id = courses.course_id
left join bridge
    on bridge.source_id = {{ normalize_email('enrollments.email') }}
