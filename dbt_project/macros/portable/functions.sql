{#
  Functions that an engine lacks, created before a run (dbt_project.yml on-run-start), so
  the models keep one spelling:

  * PostgreSQL: round(double precision, integer). DuckDB, Spark, Snowflake and BigQuery
    round a float to n places; PostgreSQL only a numeric. Halves round away from zero,
    as on DuckDB.
#}
{% macro create_portable_functions() -%}
    {{ return(adapter.dispatch('create_portable_functions', 'cs360')()) }}
{%- endmacro %}

{% macro default__create_portable_functions() -%}{%- endmacro %}

{% macro postgres__create_portable_functions() -%}
create or replace function public.round(value double precision, places integer)
returns double precision language sql immutable strict parallel safe
as $$ select round(value::numeric, places)::double precision $$
{%- endmacro %}
