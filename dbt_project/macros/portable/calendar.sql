{#
  Calendars: `day_series(start, end)` is a select-list expression that yields one row per
  day from start to end (dates, both ends included; no row when start > end).
#}
{% macro day_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_series', 'cs360')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__day_series(start_date, end_date) -%}
    cast(generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as date)
{%- endmacro %}
{% macro duckdb__day_series(start_date, end_date) -%}
    cast(unnest(generate_series({{ start_date }}, {{ end_date }}, interval 1 day)) as date)
{%- endmacro %}
{% macro spark__day_series(start_date, end_date) -%}
    explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date)))
{%- endmacro %}

{# A fixed list of values as a relation with one column (instead of unnest of a list literal). #}
{% macro values_relation(values, column) -%}
    {%- for value in values %}
    select {{ value }} as {{ column }}{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{# A span of n days as an interval literal, e.g. in RANGE window frames over dates. #}
{% macro interval_days(n) -%}
    {{ return(adapter.dispatch('interval_days', 'cs360')(n)) }}
{%- endmacro %}
{% macro default__interval_days(n) -%}interval '{{ n }} days'{%- endmacro %}
{% macro duckdb__interval_days(n) -%}interval {{ n }} days{%- endmacro %}
{% macro spark__interval_days(n) -%}interval {{ n }} days{%- endmacro %}
