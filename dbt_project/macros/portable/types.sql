{#
  Type names that differ between engines. dbt's own dbt.type_float() is a 4-byte REAL on
  DuckDB, so an 8-byte float has its own macro. `portable_type(name)` maps the DuckDB type
  names that source_or_empty's column lists and the seeds' column_types use.
#}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'cs360')()) }}
{%- endmacro %}
{% macro default__type_double() -%}{{ return('double precision') }}{%- endmacro %}
{% macro duckdb__type_double() -%}{{ return('double') }}{%- endmacro %}
{% macro spark__type_double() -%}{{ return('double') }}{%- endmacro %}
{% macro bigquery__type_double() -%}{{ return('float64') }}{%- endmacro %}

{# A timestamp with time zone (an instant); Spark's TIMESTAMP is one already. #}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'cs360')()) }}
{%- endmacro %}
{% macro default__type_timestamptz() -%}{{ return('timestamptz') }}{%- endmacro %}
{% macro spark__type_timestamptz() -%}{{ return('timestamp') }}{%- endmacro %}
{% macro snowflake__type_timestamptz() -%}{{ return('timestamp_tz') }}{%- endmacro %}
{% macro bigquery__type_timestamptz() -%}{{ return('timestamp') }}{%- endmacro %}

{% macro portable_type(name) -%}
    {%- set key = name | lower | trim -%}
    {%- if key == 'varchar' -%}{{ return(dbt.type_string()) }}
    {%- elif key == 'double' -%}{{ return(type_double()) }}
    {%- elif key == 'timestamptz' -%}{{ return(type_timestamptz()) }}
    {%- elif key == 'timestamp' -%}{{ return(dbt.type_timestamp()) }}
    {%- elif key == 'bigint' -%}{{ return(dbt.type_bigint()) }}
    {%- elif key == 'integer' -%}{{ return(dbt.type_int()) }}
    {%- elif key == 'boolean' -%}{{ return(dbt.type_boolean()) }}
    {%- else -%}{{ return(name) }}
    {%- endif -%}
{%- endmacro %}
