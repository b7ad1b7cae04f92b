-- One row per enrollment of every connected LMS in one shape: the generic LMS API
-- (in-house academies), Skilljar and Thinkific. enrollment_id is the generic API's id as
-- it is, and '<lms>:<id>' for a vendor (ids of two systems may collide). course_kind is
-- the generic API's own, else the first label / keyword that seed training_course_kinds
-- knows.
--
-- Skilljar keeps one course progress per learner and published course: its completion
-- is set on the enrollment the progress names (the latest), so a learner enrolled twice
-- in one course counts one completion. Skilljar has no "started" stamp: attended_at is
-- NULL there. Thinkific's started_at is the attendance.

with kinds as (
    select label, course_kind, priority from {{ ref('training_course_kinds') }}
),

generic as (
    select
        enrollments.enrollment_id,
        'generic' as lms,
        enrollments.enrollment_id as source_enrollment_id,
        enrollments.course_id,
        courses.course_title,
        courses.course_kind,
        enrollments.email,
        enrollments.registered_at,
        enrollments.attended_at,
        enrollments.completed_at
    from {{ ref('stg_training__enrollments') }} as enrollments
    left join {{ ref('stg_training__courses') }} as courses
        on enrollments.course_id = courses.course_id
),

skilljar_kinds as (
    select {{ distinct_on('courses.course_id') }} courses.course_id, kinds.course_kind
    from {{ ref('stg_skilljar__courses') }} as courses
    inner join kinds
        on ',' || replace(courses.course_labels, ', ', ',') || ',' like '%,' || kinds.label || ',%'
    {{ qualify_first('courses.course_id', 'kinds.priority, kinds.label') }}
),

skilljar as (
    select
        'skilljar:' || enrollments.enrollment_id as enrollment_id,
        'skilljar' as lms,
        enrollments.enrollment_id as source_enrollment_id,
        enrollments.course_id,
        courses.course_title,
        skilljar_kinds.course_kind,
        enrollments.email,
        enrollments.enrolled_at as registered_at,
        cast(null as {{ type_timestamptz() }}) as attended_at,
        progress.completed_at
    from {{ ref('stg_skilljar__enrollments') }} as enrollments
    left join {{ ref('stg_skilljar__courses') }} as courses
        on enrollments.course_id = courses.course_id
    left join skilljar_kinds
        on enrollments.course_id = skilljar_kinds.course_id
    left join {{ ref('stg_skilljar__course_progress') }} as progress
        on enrollments.enrollment_id = progress.latest_enrollment_id
),

thinkific_kinds as (
    select {{ distinct_on('courses.course_id') }} courses.course_id, kinds.course_kind
    from {{ ref('stg_thinkific__courses') }} as courses
    inner join kinds
        on ',' || replace(courses.course_keywords, ', ', ',') || ',' like '%,' || kinds.label || ',%'
    {{ qualify_first('courses.course_id', 'kinds.priority, kinds.label') }}
),

thinkific as (
    select
        'thinkific:' || enrollments.enrollment_id as enrollment_id,
        'thinkific' as lms,
        enrollments.enrollment_id as source_enrollment_id,
        enrollments.course_id,
        coalesce(courses.course_name, enrollments.course_name) as course_title,
        thinkific_kinds.course_kind,
        enrollments.email,
        enrollments.activated_at as registered_at,
        enrollments.started_at as attended_at,
        enrollments.completed_at
    from {{ ref('stg_thinkific__enrollments') }} as enrollments
    left join {{ ref('stg_thinkific__courses') }} as courses
        on enrollments.course_id = courses.course_id
    left join thinkific_kinds
        on enrollments.course_id = thinkific_kinds.course_id
)

select * from generic
union all
select * from skilljar
union all
select * from thinkific
