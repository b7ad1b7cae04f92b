{{ config(materialized='table') }}

-- Per account and day: the most survey invitations in a row that one invited person has
-- left unanswered, counted back from their latest one (a sponsor who stops answering while
-- the check-ins keep coming). Point in time: an invitation is decided survey_answer_grace_days
-- after it was sent (answered within that time or not), so on day D only invitations sent
-- by D - grace count, and an answer that came later than the grace does not count.
-- A person counts while they are still being invited: their latest decided invitation was
-- sent within nps_window_days. Only days with a silent person (1+ unanswered in a row) have
-- a row; int_health__component_values reads a missing row as 0 when the account had
-- invitations in the window, and as no data otherwise.

{%- set grace_days = var('survey_answer_grace_days') %}
{%- set window_days = var('nps_window_days') %}

with invitations as (
    select
        account_id,
        email,
        invitation_id,
        sent_on,
        coalesce(first_responded_on <= {{ add_days('sent_on', grace_days) }}, false) as answered,
        {{ add_days('sent_on', grace_days) }} as decided_on
    from {{ ref('int_surveys__invitations') }}
    where account_id is not null and email is not null
),

-- answers so far numbers the runs: each answer starts a new run of unanswered invitations
runs as (
    select
        *,
        sum(case when answered then 1 else 0 end) over (
            partition by account_id, email
            order by sent_on, invitation_id
            rows between unbounded preceding and current row
        ) as answers_so_far
    from invitations
),

streaks as (
    select
        account_id,
        email,
        sent_on,
        decided_on,
        -- in a run after an answer the answered invitation itself is the run's first row
        case
            when answered then 0
            else row_number() over (
                partition by account_id, email, answers_so_far
                order by sent_on, invitation_id
            ) - case when answers_so_far > 0 then 1 else 0 end
        end as unanswered_in_a_row,
        answers_so_far > 0 as answered_before,
        lead(decided_on) over (
            partition by account_id, email
            order by sent_on, invitation_id
        ) as next_decided_on
    from runs
),

-- a state holds from its decision until the next invitation is decided, or until the
-- person has not been invited for the survey window
states as (
    select
        *,
        case
            when next_decided_on is not null and next_decided_on < {{ add_days('sent_on', window_days) }}
                then next_decided_on
            else {{ add_days('sent_on', window_days) }}
        end as holds_until
    from streaks
    where unanswered_in_a_row > 0
),

silent_days as (
    select
        account_id,
        email,
        unanswered_in_a_row,
        answered_before,
        {{ day_series('decided_on', add_days('holds_until', -1)) }}
            as as_of_date
    from states
    where decided_on < holds_until
)

-- the most silent person of the account that day (ties: one who answered before, then by address)
select {{ distinct_on('account_id, as_of_date') }}
    account_id,
    as_of_date,
    unanswered_in_a_row,
    email as silent_email,
    answered_before
from silent_days
{{ qualify_first('account_id, as_of_date', 'unanswered_in_a_row desc, answered_before desc, email') }}
