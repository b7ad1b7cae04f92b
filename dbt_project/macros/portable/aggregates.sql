{# Aggregates named differently per engine. #}

{# The continuous percentile p (0..1) of a column: interpolated, like percentile_cont. #}
{% macro percentile_cont(column, p) -%}
    {{ return(adapter.dispatch('percentile_cont', 'cs360')(column, p)) }}
{%- endmacro %}
{% macro default__percentile_cont(column, p) -%}
    percentile_cont({{ p }}) within group (order by {{ column }})
{%- endmacro %}
{% macro duckdb__percentile_cont(column, p) -%}
    quantile_cont({{ column }}, {{ p }})
{%- endmacro %}
{% macro bigquery__percentile_cont(column, p) -%}
    {{ exceptions.raise_compiler_error("percentile_cont is an analytic function on BigQuery: not ported yet") }}
{%- endmacro %}

{% macro median(column) -%}
    {{ return(adapter.dispatch('median', 'cs360')(column)) }}
{%- endmacro %}
{% macro default__median(column) -%}
    {{ percentile_cont(column, 0.5) }}
{%- endmacro %}
{% macro duckdb__median(column) -%}
    median({{ column }})
{%- endmacro %}

{#
  dbt-spark's listagg drops the order by (with a warning), so a list such as top_reasons
  would come out in arrival order. Spark 4 has listagg … within group (order by …);
  dbt looks up the root project's spark__listagg before its own.
#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with a limit is not supported on Spark") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}

{# The distinct values of a text expression, sorted, joined by a delimiter. #}
{% macro listagg_distinct_sorted(expression, delimiter_text) -%}
    {{ return(adapter.dispatch('listagg_distinct_sorted', 'cs360')(expression, delimiter_text)) }}
{%- endmacro %}
{% macro default__listagg_distinct_sorted(expression, delimiter_text) -%}
    string_agg(distinct {{ expression }}, {{ delimiter_text }} order by {{ expression }})
{%- endmacro %}
{# Spark 4.3's listagg(distinct …) within group fails in its optimizer (ClassCastException). #}
{% macro spark__listagg_distinct_sorted(expression, delimiter_text) -%}
    nullif(array_join(array_sort(collect_set({{ expression }})), {{ delimiter_text }}), '')
{%- endmacro %}
