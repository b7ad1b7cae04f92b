{#
  `health_components()`: each score component's raw value and plain-words reason, as SQL
  expressions over one row of int_health__scored_days, keyed by component name:

      {% set components = health_components() %}
      {{ components['usage'].value }}     logins per seat in the usage window
      {{ components['usage'].reason }}    "2.4 logins per seat in 30 days"

  The one definition of the components: int_health__component_values unpivots them into
  one row per component (what the scorecard fit learns from), int_health__scores computes
  them side by side on the day's row (one pass, no pivot back). A NULL value means no data
  that day; the reason only counts where the value is not NULL.
#}
{% macro health_components() -%}
{%- set window_days = var('usage_window_days') -%}
{%- set support_days = var('support_window_days') -%}
{%- set nps_days = var('nps_window_days') -%}
{%- set users_lag_days = var('active_users_lag_days') -%}
{%- set c = {} -%}

{%- do c.update({'utilization': {
    'value': 'utilization',
    'reason': format_text("%d of %d seats active in " ~ window_days ~ " days", "active_users_30d", "seats"),
}}) -%}

{%- do c.update({'usage': {
    'value': 'logins_per_seat',
    'reason': format_text("%.1f logins per seat in " ~ window_days ~ " days", "logins_per_seat"),
}}) -%}

{%- set reason -%}
    case
        when logins_trend_ratio < 1
            then {{ format_text("logins fell %d%% vs previous " ~ window_days ~ " days", "cast(round(100 * (1 - logins_trend_ratio), 0) as integer)") }}
        else {{ format_text("logins up %d%% vs previous " ~ window_days ~ " days", "cast(round(100 * (logins_trend_ratio - 1), 0) as integer)") }}
    end
{%- endset -%}
{%- do c.update({'usage_trend': {'value': 'logins_trend_ratio', 'reason': reason}}) -%}

{%- do c.update({'breadth': {
    'value': 'breadth',
    'reason': format_text("%d of %d features used in " ~ window_days ~ " days", "features_used_30d", "features_available"),
}}) -%}

{#- support load: tickets per seat; without a help desk (or before its first ticket) no data -#}
{%- do c.update({'support': {
    'value': 'case when has_support_data then ' ~ ratio('tickets_90d', 'seats') ~ ' end',
    'reason': format_text("%d support tickets in " ~ support_days ~ " days (%.1f per seat)", "tickets_90d", ratio('tickets_90d', 'seats')),
}}) -%}

{%- do c.update({'csat': {
    'value': 'csat_90d',
    'reason': format_text("CSAT %d%% (%d of %d ratings good) in " ~ support_days ~ " days", "cast(round(100 * csat_90d, 0) as integer)", "csat_good_90d", "csat_rated_90d"),
}}) -%}

{#- sentiment: NPS of the responses in the window; no data without responses -#}
{%- do c.update({'sentiment': {
    'value': 'nps',
    'reason': format_text("NPS %d from %d survey responses in " ~ nps_days ~ " days", "cast(round(nps) as integer)", "nps_responses"),
}}) -%}

{%- do c.update({'training': {
    'value': 'case when has_training_data then ' ~ ratio('people_trained', 'seats') ~ ' end',
    'reason': format_text("%d of %d seats trained", "people_trained", "seats"),
}}) -%}

{#- the contract relationship: did the last renewal add or cut seats? no data in a first term -#}
{%- set reason -%}
    case
        when seats < previous_seats
            then {{ format_text("seats cut from %d to %d at the last renewal", "previous_seats", "seats") }}
        when seats = previous_seats
            then {{ format_text("seats flat at %d at the last renewal", "seats") }}
        else {{ format_text("seats grew from %d to %d at the last renewal", "previous_seats", "seats") }}
    end
{%- endset -%}
{%- do c.update({'relationship': {'value': 'seat_change_ratio', 'reason': reason}}) -%}

{#- sponsor silence: invitations keep coming but answers stop; no data without invitations -#}
{%- do c.update({'survey_response': {
    'value': 'response_rate',
    'reason': format_text("%d of %d survey invitations answered in " ~ nps_days ~ " days", "invitations_answered", "invitations_sent"),
}}) -%}

{#- feature-area fading: of the usual features (used in the year before the usage window),
    the share still used; independent of how often people log in -#}
{%- do c.update({'feature_retention': {
    'value': 'feature_retention',
    'reason': format_text("%d of %d usual features still used in " ~ window_days ~ " days", "usual_features + features_used_30d - features_used_long", "usual_features"),
}}) -%}

{#- active-user contraction: people active now vs active_users_lag_days before (logins can
    stay flat while fewer people log in) -#}
{%- do c.update({'user_trend': {
    'value': 'active_users_trend_ratio',
    'reason': format_text("%d people active in " ~ window_days ~ " days, %d " ~ users_lag_days ~ " days before", "active_users_30d", "active_users_30d_earlier"),
}}) -%}

{#- commercial pressure: the price per seat of this term vs the term before (lower is
    better); no data in a first term -#}
{%- set reason -%}
    case
        when seat_price_ratio > 1
            then {{ format_text("price per seat up %d%% at the last renewal", "cast(round(100 * (seat_price_ratio - 1), 0) as integer)") }}
        else {{ format_text("price per seat down %d%% at the last renewal", "cast(round(100 * (1 - seat_price_ratio), 0) as integer)") }}
    end
{%- endset -%}
{%- do c.update({'seat_price': {'value': 'seat_price_ratio', 'reason': reason}}) -%}

{#- a contact who stops answering: the most survey invitations in a row one invited person
    left unanswered (lower is better); 0 when every invited person answered their latest
    one, no data without invitations in the window -#}
{%- set reason -%}
    case
        when coalesce(unanswered_in_a_row, 0) = 0
            then 'every surveyed contact answered their latest invitation'
        when answered_before
            then {{ format_text("%s left the last %d survey invitations unanswered (answered before)", "silent_email", "unanswered_in_a_row") }}
        else {{ format_text("%s left the last %d survey invitations unanswered", "silent_email", "unanswered_in_a_row") }}
    end
{%- endset -%}
{%- do c.update({'silent_contact': {
    'value': 'case when invitations_sent > 0 then coalesce(unanswered_in_a_row, 0) end',
    'reason': reason,
}}) -%}

{#- the relationship as the CRM shows it: the last CSM touch, meetings, an executive in the
    conversation (int_crm__account_engagement_daily); no data without CRM activities -#}
{%- set reason -%}
    case when days_since_touch is null then 'no CSM touch logged' else
        {{ format_text('last CSM touch %d days ago', 'days_since_touch') }} end
    || {{ format_text(', %d meetings in 90 days', 'meetings_90d') }}
    || case when executive_engaged_90d then ', an executive engaged' else ', no executive engaged' end
{%- endset -%}
{%- do c.update({'engagement': {'value': 'engagement_index', 'reason': reason}}) -%}

{#- renewal exposure: days until the account must decide again, i.e. until the covering term
    ends with no renewal signed (or until the signed renewal ends); the nearer an unsigned
    renewal, the more is at stake. No data for an open-ended term. -#}
{%- set reason -%}
    case
        when signed_through is not null
            then {{ format_text("renewal signed, covered for %d more days", "days_to_exposure") }}
        else {{ format_text("renews in %d days, no renewal signed", "days_to_exposure") }}
    end
{%- endset -%}
{%- do c.update({'renewal_exposure': {'value': 'days_to_exposure', 'reason': reason}}) -%}

{%- for name in var('score_components') if name not in c -%}
    {{ exceptions.raise_compiler_error("score component " ~ name ~ " (var score_components) has no definition in health_components()") }}
{%- endfor -%}
{{ return(c) }}
{%- endmacro %}


{#
  The texts of a list of expressions, in order, joined by a separator; NULLs are skipped
  and an empty result is NULL.
#}
{% macro join_texts(expressions, separator) -%}
    {{ return(adapter.dispatch('join_texts', 'cs360')(expressions, separator)) }}
{%- endmacro %}
{% macro default__join_texts(expressions, separator) -%}
    nullif(concat_ws('{{ separator }}', {{ expressions | join(', ') }}), '')
{%- endmacro %}
{% macro bigquery__join_texts(expressions, separator) -%}
    nullif(array_to_string([{{ expressions | join(', ') }}], '{{ separator }}'), '')
{%- endmacro %}


{#
  int_health__scores, on one row per account and day with <component>_score and
  <component>_weight columns: `weight_sum` adds up the weights of the components (all, or
  the timing or the evidence ones) that are present, or only those with data.
#}
{% macro weight_sum(components, timing, role=none, with_data=true) -%}
    {%- set terms = [] -%}
    {%- for component in components if role is none or (role == 'timing') == (component in timing) -%}
        {%- if with_data -%}
            {%- do terms.append('case when ' ~ component ~ '_score is not null then ' ~ component ~ '_weight else 0 end') -%}
        {%- else -%}
            {%- do terms.append('coalesce(' ~ component ~ '_weight, 0)') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ terms | join('\n            + ') }}
{%- endmacro %}

{#
  The reasons of the top var top_reasons_count drivers that cost at least half a point, in
  their order: a list of expressions, one per place, each the reason of the component
  ranked there (<component>_reason_rank, <component>_points_lost), NULL if none qualifies.
#}
{% macro top_reason_texts(components, health) -%}
    {%- set places = [] -%}
    {%- for place in range(1, var('top_reasons_count') + 1) -%}
        {%- set text -%}
        case
            {%- for component in components %}
            when {{ component }}_reason_rank = {{ place }} and {{ component }}_points_lost >= 0.5
                then {{ health[component].reason }}
            {%- endfor %}
        end
        {%- endset -%}
        {%- do places.append(text) -%}
    {%- endfor -%}
    {{ return(places) }}
{%- endmacro %}
