{{ config(materialized='table') }}

-- Training measures per account and day of the scored history, point-in-time
-- (macro running_counts):
--   trainings_completed   courses completed on or before D (ever)
--   people_trained        distinct people with a completed course on or before D
--   onboarding_completed  someone of the account completed an onboarding course by D
-- has_training_data: an LMS is connected and had its first enrollment on or before D.

with enrollments as (
    select * from {{ ref('int_training__enrollments') }}
    where account_id is not null
),

completions as (
    select * from enrollments where completed_on is not null
),

changes as (
    select account_id, completed_on as changes_on, 'trainings_completed' as measure, 1 as change
    from completions
    union all
    select account_id, min(completed_on), 'people_trained', 1
    from completions
    where email is not null
    group by account_id, email
    union all
    select account_id, min(completed_on), 'onboarding_completed', 1
    from completions
    where course_kind = 'onboarding'
    group by account_id
),

counts as (
    {{ running_counts(ref('int_calendar__account_days'),
                      'changes',
                      ['trainings_completed', 'people_trained', 'onboarding_completed']) }}
),

first_enrollment as (
    select min(cast(coalesce(registered_at, completed_at) as date)) as first_enrollment_on
    from {{ ref('int_training__lms_enrollments') }}
)

select
    counts.account_id,
    counts.as_of_date,
    coalesce(counts.as_of_date >= first_enrollment.first_enrollment_on, false) as has_training_data,
    case when counts.as_of_date >= first_enrollment.first_enrollment_on then counts.trainings_completed end
        as trainings_completed,
    case when counts.as_of_date >= first_enrollment.first_enrollment_on then counts.people_trained end
        as people_trained,
    case when counts.as_of_date >= first_enrollment.first_enrollment_on then counts.onboarding_completed > 0 end
        as onboarding_completed
from counts
cross join first_enrollment
