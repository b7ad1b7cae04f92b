{#
  The first row of each partition in the given order (the latest version of a record):

      {{ dedupe('renamed', 'ticket_id', 'updated_at desc nulls last, dlt_load_id desc') }}

  QUALIFY where the engine has it (DuckDB, Spark 3.4+, Databricks, Snowflake, BigQuery);
  DISTINCT ON on PostgreSQL, which has no QUALIFY and cannot drop a helper column from *.
#}
{% macro dedupe(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('dedupe', 'cs360')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__dedupe(relation, partition_by, order_by) -%}
select * from {{ relation }}
qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro postgres__dedupe(relation, partition_by, order_by) -%}
select distinct on ({{ partition_by }}) * from {{ relation }}
order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}

{#
  The same inside a query whose select list is its own: a pair of macros,

      select {{ distinct_on('account_id') }} account_id, ...
      from ... where ...
      {{ qualify_first('account_id', 'modified_at desc') }}

  renders QUALIFY row_number() = 1 where the engine has it, and SELECT DISTINCT ON ...
  ORDER BY on PostgreSQL. qualify_first ends the query (no ORDER BY or LIMIT after it).
#}
{% macro distinct_on(partition_by) -%}
    {{ return(adapter.dispatch('distinct_on', 'cs360')(partition_by)) }}
{%- endmacro %}
{% macro default__distinct_on(partition_by) -%}{%- endmacro %}
{% macro postgres__distinct_on(partition_by) -%}distinct on ({{ partition_by }}){%- endmacro %}

{% macro qualify_first(partition_by, order_by) -%}
    {{ return(adapter.dispatch('qualify_first', 'cs360')(partition_by, order_by)) }}
{%- endmacro %}
{% macro default__qualify_first(partition_by, order_by) -%}
qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}
{% macro postgres__qualify_first(partition_by, order_by) -%}
order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}
