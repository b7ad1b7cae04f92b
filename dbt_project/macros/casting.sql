{#
  Casts used by the staging models. dlt lands the same field with different physical
  types depending on the source (Salesforce dates as DATE or 'YYYY-MM-DD' strings,
  HubSpot properties as strings, product timestamps as TIMESTAMPTZ), so each cast
  accepts all of them. Values that cannot be read become NULL; the staging tests catch
  NULLs where they matter.
#}

{#
  Each cast is dispatched: DuckDB and Spark have TRY_CAST; PostgreSQL has none, so its
  versions cast only text of the expected shape (a value of another shape becomes NULL
  there too). Arguments are column expressions.
#}

{# An instant as a naive UTC timestamp: day boundaries in every model are UTC days. #}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'cs360')(column)) }}
{%- endmacro %}
{% macro default__to_utc_timestamp(column) -%}
    timezone('UTC', try_cast({{ column }} as timestamptz))
{%- endmacro %}
{# Spark's TIMESTAMP is an instant shown in the session time zone, which the profile sets to UTC. #}
{% macro spark__to_utc_timestamp(column) -%}
    try_cast({{ column }} as timestamp)
{%- endmacro %}
{% macro postgres__to_utc_timestamp(column) -%}
    timezone('UTC', case when cast({{ column }} as text) ~ '^\s*\d{4}-\d{2}-\d{2}'
        then cast(cast({{ column }} as text) as timestamptz) end)
{%- endmacro %}

{# A calendar date from a DATE, a 'YYYY-MM-DD' string or an ISO timestamp (UTC day). #}
{% macro to_date(column) -%}
    coalesce(
        {{ try_cast_date(column) }},
        cast({{ to_utc_timestamp(column) }} as date)
    )
{%- endmacro %}

{% macro try_cast_date(column) -%}
    {{ return(adapter.dispatch('try_cast_date', 'cs360')(column)) }}
{%- endmacro %}
{% macro default__try_cast_date(column) -%}
    try_cast({{ column }} as date)
{%- endmacro %}
{% macro postgres__try_cast_date(column) -%}
    case when cast({{ column }} as text) ~ '^\s*\d{4}-\d{2}-\d{2}\s*$' then cast(cast({{ column }} as text) as date) end
{%- endmacro %}

{# A number read from a number or numeric text; NULL otherwise. #}
{% macro try_cast_number(column, data_type) -%}
    {{ return(adapter.dispatch('try_cast_number', 'cs360')(column, data_type)) }}
{%- endmacro %}
{% macro default__try_cast_number(column, data_type) -%}
    try_cast({{ column }} as {{ data_type }})
{%- endmacro %}
{% macro postgres__try_cast_number(column, data_type) -%}
    case when cast({{ column }} as text) ~ '^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$'
        then cast(cast({{ column }} as text) as {{ data_type }}) end
{%- endmacro %}

{# Whole numbers that may arrive as '10', 10.0 or '10.0' (halves round away from zero). #}
{% macro to_integer(column) -%}
    {{ return(adapter.dispatch('to_integer', 'cs360')(column)) }}
{%- endmacro %}
{% macro default__to_integer(column) -%}
    cast(round(try_cast({{ column }} as double)) as integer)
{%- endmacro %}
{# round() of a double rounds halves to even on PostgreSQL; of a numeric, away from zero. #}
{% macro postgres__to_integer(column) -%}
    cast(round({{ try_cast_number(column, 'numeric') }}) as integer)
{%- endmacro %}

{% macro to_money(column) -%}
    {{ try_cast_number(column, 'decimal(18, 2)') }}
{%- endmacro %}

{# Flags: a missing value means "not set", i.e. false. #}
{% macro to_flag(column) -%}
    {{ return(adapter.dispatch('to_flag', 'cs360')(column)) }}
{%- endmacro %}
{% macro default__to_flag(column) -%}
    coalesce(try_cast({{ column }} as boolean), false)
{%- endmacro %}
{% macro postgres__to_flag(column) -%}
    coalesce(case when lower(trim(cast({{ column }} as text))) in ('true', 't', 'false', 'f', '1', '0')
        then cast(trim(cast({{ column }} as text)) as boolean) end, false)
{%- endmacro %}

{# Ids are compared as text everywhere (HubSpot and product ids may land as numbers). #}
{% macro to_id(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{# date + n days, kept a DATE (dbt.dateadd returns a timestamp in DuckDB). #}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{# Seconds since 1970-01-01 UTC of a timestamp, with its fraction. #}
{% macro epoch_seconds(column) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'cs360')(column)) }}
{%- endmacro %}
{% macro default__epoch_seconds(column) -%}
    {#- a float, as DuckDB's epoch(): PostgreSQL's numeric would round a duration ending in 5 the other way -#}
    cast(extract(epoch from {{ column }}) as {{ type_double() }})
{%- endmacro %}
{% macro duckdb__epoch_seconds(column) -%}
    epoch({{ column }})
{%- endmacro %}
{# a float, as DuckDB's epoch(): the same float arithmetic follows on both #}
{% macro spark__epoch_seconds(column) -%}
    (cast(unix_micros({{ column }}) as double) / 1000000)
{%- endmacro %}

{# Elapsed minutes between two timestamps (1 decimal); NULL when either is NULL. #}
{% macro minutes_between(start_column, end_column) -%}
    {{ round_float('(' ~ epoch_seconds(end_column) ~ ' - ' ~ epoch_seconds(start_column) ~ ') / 60.0', 1) }}
{%- endmacro %}
