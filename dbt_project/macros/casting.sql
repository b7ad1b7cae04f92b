{#
  Casts used by the staging models. dlt lands the same field with different physical
  types depending on the source (Salesforce dates as DATE or 'YYYY-MM-DD' strings,
  HubSpot properties as strings, product timestamps as TIMESTAMPTZ), so each cast
  accepts all of them. Values that cannot be read become NULL; the staging tests catch
  NULLs where they matter.
#}

{# An instant as a naive UTC timestamp: day boundaries in every model are UTC days. #}
{% macro to_utc_timestamp(column) -%}
    timezone('UTC', try_cast({{ column }} as timestamptz))
{%- endmacro %}

{# A calendar date from a DATE, a 'YYYY-MM-DD' string or an ISO timestamp (UTC day). #}
{% macro to_date(column) -%}
    coalesce(
        try_cast({{ column }} as date),
        cast({{ to_utc_timestamp(column) }} as date)
    )
{%- endmacro %}

{# Whole numbers that may arrive as '10', 10.0 or '10.0'. #}
{% macro to_integer(column) -%}
    cast(round(try_cast({{ column }} as double)) as integer)
{%- endmacro %}

{% macro to_money(column) -%}
    try_cast({{ column }} as decimal(18, 2))
{%- endmacro %}

{# Flags: a missing value means "not set", i.e. false. #}
{% macro to_flag(column) -%}
    coalesce(try_cast({{ column }} as boolean), false)
{%- endmacro %}

{# Ids are compared as text everywhere (HubSpot and product ids may land as numbers). #}
{% macro to_id(column) -%}
    cast({{ column }} as varchar)
{%- endmacro %}

{# date + n days, kept a DATE (dbt.dateadd returns a timestamp in DuckDB). #}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{# Elapsed minutes between two timestamps (1 decimal); NULL when either is NULL. #}
{% macro minutes_between(start_column, end_column) -%}
    round((epoch({{ end_column }}) - epoch({{ start_column }})) / 60.0, 1)
{%- endmacro %}
