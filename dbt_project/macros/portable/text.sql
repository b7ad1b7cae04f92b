{#
  Every match of a regular expression replaced: DuckDB and PostgreSQL replace only the
  first one unless given the 'g' flag; Spark replaces all and takes no flags (its fourth
  argument is a position). Arguments are SQL expressions (quote literals yourself).
#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'cs360')(expression, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}
{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#
  Pieces of regular expressions that the engines spell differently. A word boundary is
  `\b` in RE2 (DuckDB) and Java (Spark) but a backspace in PostgreSQL, which spells it
  `\y`. Letters and digits of any script are `\p{L}\p{N}` in RE2 and Java; PostgreSQL has
  no `\p{}` classes, and its `[:alnum:]` follows the database's character classification
  (every script under a UTF-8 ctype such as C.UTF-8 or en_US.UTF-8). Spark's SQL string
  literals unescape backslashes, so a backslash reaches its regex engine only doubled.
#}
{% macro regex_word_boundary() -%}
    {{ return(adapter.dispatch('regex_word_boundary', 'cs360')()) }}
{%- endmacro %}
{% macro default__regex_word_boundary() -%} \b {%- endmacro %}
{% macro postgres__regex_word_boundary() -%} \y {%- endmacro %}
{% macro spark__regex_word_boundary() -%} \\b {%- endmacro %}

{% macro regex_letters_and_digits() -%}
    {{ return(adapter.dispatch('regex_letters_and_digits', 'cs360')()) }}
{%- endmacro %}
{% macro default__regex_letters_and_digits() -%} \p{L}\p{N} {%- endmacro %}
{% macro postgres__regex_letters_and_digits() -%} [:alnum:] {%- endmacro %}
{% macro spark__regex_letters_and_digits() -%} \\p{L}\\p{N} {%- endmacro %}

{% macro regex_space() -%}
    {{ return(adapter.dispatch('regex_space', 'cs360')()) }}
{%- endmacro %}
{% macro default__regex_space() -%} \s {%- endmacro %}
{% macro spark__regex_space() -%} \\s {%- endmacro %}
