-- One row per alert, each raised once, with an alert_id that is the same on every run
-- (a hash of kind, account and what triggered it) so a notifier can send each alert once.
-- Rules and thresholds: seed alert_rules.
--   nps_detractor    a survey response scoring <= 6, on the day of the response
--   score_drop       the health score is 15+ points below its value 30 days earlier
--   usage_drop       logins in 30 days fell 50 %+ vs the 30 days before (which had at
--                    least min_base logins)
--   renewal_at_risk  the covering contract ends within 90 days while the account is red;
--                    once per contract
--   no_csm_touch     no call, meeting or e-mail logged in the CRM for 60 days; once per
--                    silence (the last touch is the trigger), again only after a new touch
-- score_drop and usage_drop fire on the first day of an episode: the condition holds on D
-- and was checked, and did not hold, on each of the window_days (30) days before; so a
-- condition that flickers around its threshold raises one alert, and a new one only after
-- 30 quiet days. An episode already running when the history starts raises nothing, so a
-- moving history window never re-raises an old alert. created_at is the moment of the trigger (the response
-- time, or the day as a timestamp). is_open: the condition still holds on the account's
-- latest scored day (for a detractor: the response is from the last 30 days).

{#- window frames need constants: the windows of the score_drop / usage_drop rules are read
    from the seed when the model is compiled (a compile without the seed loaded, as a lint
    does, keeps these defaults; a run always loads the seed first) -#}
{%- set windows = {'score_drop': 30, 'usage_drop': 30} %}
{%- if execute and load_relation(ref('alert_rules')) is not none %}
{%- set found = run_query("select kind, window_days from " ~ ref('alert_rules')
                          ~ " where kind in ('score_drop', 'usage_drop')") %}
{%- for row in found.rows %}{% do windows.update({row[0]: row[1] | int}) %}{% endfor %}
{%- endif %}

with rules as (
    select * from {{ ref('alert_rules') }}
),

latest_day as (
    select as_of_date as today from {{ ref('int_calendar__as_of_date') }}
),

scores as (
    select
        *,
        max(as_of_date) over (partition by account_id) as latest_scored_on
    from {{ ref('health_scores') }}
),

compared as (
    select
        today.*,
        earlier.health_score as score_30d_earlier,
        earlier.health_score - today.health_score as score_drop_points,
        case when earlier.health_score is not null
            then earlier.health_score - today.health_score
                >= (select threshold from rules where kind = 'score_drop')
        end as is_score_drop,
        case when today.logins_prev_30d is not null
            then today.logins_prev_30d >= (select min_base from rules where kind = 'usage_drop')
                and today.logins_30d
                    <= (1 - (select threshold from rules where kind = 'usage_drop')) * today.logins_prev_30d
        end as is_usage_drop,
        today.days_to_renewal <= (select threshold from rules where kind = 'renewal_at_risk')
            and today.health_band = 'red' as is_renewal_at_risk
    from scores as today
    left join scores as earlier
        on today.account_id = earlier.account_id
        and earlier.as_of_date = {{ add_days('today.as_of_date', -windows['score_drop']) }}
),

-- the condition over the window_days before D: how often it held and how often it could be
-- checked (a score 30 days earlier, a previous window); an episode starts on D when it
-- holds on D, was checked on every one of those days and held on none of them
with_previous as (
    select
        compared.*,
        count(*) filter (where is_score_drop) over score_drop_window as score_drop_days_before,
        count(is_score_drop) over score_drop_window as score_drop_checked_days_before,
        count(*) filter (where is_usage_drop) over usage_drop_window as usage_drop_days_before,
        count(is_usage_drop) over usage_drop_window as usage_drop_checked_days_before,
        lag(is_renewal_at_risk) over account_history as was_renewal_at_risk,
        lag(contract_id) over account_history as previous_contract_id,
        lag(as_of_date) over account_history as previous_scored_on,
        lag(days_since_csm_touch) over account_history as previous_days_since_csm_touch
    from compared
    window
        account_history as (partition by account_id order by as_of_date),
        {%- for kind in ['score_drop', 'usage_drop'] %}
        {{ kind }}_window as (
            partition by account_id order by as_of_date
            range between {{ interval_days(windows[kind]) }} preceding and {{ interval_days(1) }} preceding
        ){{ "," if not loop.last }}
        {%- endfor %}
),

latest as (
    select account_id, is_score_drop, is_usage_drop, is_renewal_at_risk, contract_id,
        days_since_csm_touch, last_csm_touch_on
    from compared
    where as_of_date = latest_scored_on
),

score_drops as (
    select
        'score_drop' as kind,
        with_previous.account_id,
        cast(with_previous.as_of_date as timestamp) as created_at,
        with_previous.as_of_date as triggered_on,
        cast(with_previous.as_of_date as {{ dbt.type_string() }}) as trigger_key,
        {{ format_text("health score fell %.1f points in " ~ (windows["score_drop"]) ~ " days (%.1f -> %.1f, %s); %s", "with_previous.score_drop_points", "with_previous.score_30d_earlier", "with_previous.health_score", "with_previous.health_band", "with_previous.top_reasons") }} as details,
        coalesce(latest.is_score_drop, false) as is_open
    from with_previous
    left join latest on with_previous.account_id = latest.account_id
    where with_previous.is_score_drop
        and with_previous.score_drop_days_before = 0
        and with_previous.score_drop_checked_days_before = {{ windows['score_drop'] }}
),

usage_drops as (
    select
        'usage_drop' as kind,
        with_previous.account_id,
        cast(with_previous.as_of_date as timestamp),
        with_previous.as_of_date,
        cast(with_previous.as_of_date as {{ dbt.type_string() }}),
        {{ format_text("logins fell %d%% (%d in the last 30 days vs %d in the 30 days before); %s of %s seats active", "cast(round(100 * (1 - cast(with_previous.logins_30d as " ~ type_double() ~ ") / with_previous.logins_prev_30d), 0) as integer)", "with_previous.logins_30d", "with_previous.logins_prev_30d", "coalesce(cast(with_previous.active_users_30d as " ~ (dbt.type_string()) ~ "), '?')", "coalesce(cast(with_previous.seats as " ~ (dbt.type_string()) ~ "), '?')") }},
        coalesce(latest.is_usage_drop, false)
    from with_previous
    left join latest on with_previous.account_id = latest.account_id
    where with_previous.is_usage_drop
        and with_previous.usage_drop_days_before = 0
        and with_previous.usage_drop_checked_days_before = {{ windows['usage_drop'] }}
),

renewals_at_risk as (
    select {{ distinct_on('with_previous.contract_id') }}
        'renewal_at_risk' as kind,
        with_previous.account_id,
        cast(with_previous.as_of_date as timestamp),
        with_previous.as_of_date,
        with_previous.contract_id,
        {{ format_text("renewal on %s (in %d days, MRR %s) while red: score %.1f; %s", "coalesce(cast(with_previous.contract_end_date as " ~ dbt.type_string() ~ "), '?')", "with_previous.days_to_renewal", "coalesce(cast(with_previous.mrr as " ~ (dbt.type_string()) ~ "), 'unknown')", "with_previous.health_score", "with_previous.top_reasons") }},
        coalesce(latest.is_renewal_at_risk and latest.contract_id = with_previous.contract_id, false)
    from with_previous
    left join latest on with_previous.account_id = latest.account_id
    where with_previous.is_renewal_at_risk
        -- scored the day before and not yet at risk then (or under another contract)
        and with_previous.previous_scored_on = {{ add_days('with_previous.as_of_date', -1) }}
        and (with_previous.was_renewal_at_risk = false
             or with_previous.previous_contract_id <> with_previous.contract_id)
    {{ qualify_first('with_previous.contract_id', 'with_previous.as_of_date') }}
),

untouched as (
    select {{ distinct_on('with_previous.account_id, with_previous.last_csm_touch_on') }}
        'no_csm_touch' as kind,
        with_previous.account_id,
        cast(with_previous.as_of_date as timestamp),
        with_previous.as_of_date,
        cast(with_previous.last_csm_touch_on as {{ dbt.type_string() }}),
        {{ format_text("no CSM touch for %d days (last call, meeting or e-mail on %s); %s",
                       "with_previous.days_since_csm_touch",
                       "cast(with_previous.last_csm_touch_on as " ~ dbt.type_string() ~ ")",
                       "with_previous.top_reasons") }},
        coalesce(latest.last_csm_touch_on = with_previous.last_csm_touch_on
                 and latest.days_since_csm_touch >= (select threshold from rules where kind = 'no_csm_touch'), false)
    from with_previous
    left join latest on with_previous.account_id = latest.account_id
    where with_previous.days_since_csm_touch >= (select threshold from rules where kind = 'no_csm_touch')
        -- scored the day before and touched within the threshold then
        and with_previous.previous_scored_on = {{ add_days('with_previous.as_of_date', -1) }}
        and with_previous.previous_days_since_csm_touch < (select threshold from rules where kind = 'no_csm_touch')
    {{ qualify_first('with_previous.account_id, with_previous.last_csm_touch_on', 'with_previous.as_of_date') }}
),

detractors as (
    select
        'nps_detractor' as kind,
        responses.account_id,
        responses.responded_at,
        responses.responded_on,
        responses.response_id,
        {{ format_text("NPS %d from %s%s%s", "responses.score", "coalesce(responses.email, 'unknown respondent')", "coalesce(' (' || responses.survey || ')', '')", 'coalesce(\': "\' || responses.comment || \'"\', \'\')') }},
        responses.responded_on > {{ add_days('latest_day.today', -30) }}
    from {{ ref('int_surveys__responses') }} as responses
    cross join latest_day
    where responses.account_id is not null
        and responses.score <= (select threshold from rules where kind = 'nps_detractor')
        and responses.responded_on <= latest_day.today
),

all_alerts as (
    select * from score_drops
    union all
    select * from usage_drops
    union all
    select * from renewals_at_risk
    union all
    select * from untouched
    union all
    select * from detractors
)

select
    md5(kind || '|' || account_id || '|' || trigger_key) as alert_id,
    account_id,
    kind,
    created_at,
    triggered_on,
    details,
    is_open
from all_alerts
