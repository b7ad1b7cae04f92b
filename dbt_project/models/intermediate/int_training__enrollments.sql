-- One row per LMS enrollment (every connected LMS, int_training__lms_enrollments) with
-- the attendee's account (int_identity__bridge, by e-mail) and the kind of course.

with bridge as (
    select source_id, account_id
    from {{ ref('int_identity__bridge') }}
    where source_system = 'training'
)

select
    enrollments.enrollment_id,
    enrollments.lms,
    enrollments.source_enrollment_id,
    enrollments.course_id,
    enrollments.course_title,
    enrollments.course_kind,
    {{ normalize_email('enrollments.email') }} as email,
    bridge.account_id,
    enrollments.registered_at,
    enrollments.attended_at,
    enrollments.completed_at,
    cast(enrollments.completed_at as date) as completed_on
from {{ ref('int_training__lms_enrollments') }} as enrollments
left join bridge
    on bridge.source_id = {{ normalize_email('enrollments.email') }}
