{#
  Run before every model (dbt_project.yml pre-hook): day boundaries are UTC days on every
  engine. DuckDB's profile sets TimeZone and Spark's profile spark.sql.session.timeZone;
  PostgreSQL takes it per session.
#}
{% macro set_session_utc() -%}
    {{ return(adapter.dispatch('set_session_utc', 'cs360')()) }}
{%- endmacro %}
{% macro default__set_session_utc() -%}{%- endmacro %}
{% macro postgres__set_session_utc() -%}set time zone 'UTC'{%- endmacro %}
