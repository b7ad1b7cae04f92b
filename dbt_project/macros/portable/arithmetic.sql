{#
  Division where the divisor can be zero. DuckDB gives inf or NaN for x / 0, PostgreSQL and
  Spark 4 (ANSI mode, its default) raise an error and fail the model. Every division by a
  count, a sum or a seed value goes through these, and gives NULL ("no data") instead.
  Arguments are SQL expressions.

      {{ safe_divide('mrr', 'seats') }}                 mrr / seats, as the operands' type
      {{ ratio('active_users_30d', 'seats') }}          a float, also for two integers
#}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'cs360')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__safe_divide(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{# PostgreSQL divides two integers as integers (3 / 100 is 0): a ratio is a float division on every engine. #}
{% macro ratio(numerator, denominator) -%}
    {{ return(safe_divide('cast(' ~ numerator ~ ' as ' ~ type_double() ~ ')', denominator)) }}
{%- endmacro %}
