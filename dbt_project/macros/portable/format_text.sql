{#
  printf-style text: format_text('%d of %d seats active', 'active_users', 'seats').
  The format takes %d (a whole number), %.Nf (N decimals), %s (text) and %%; each further
  argument is a column expression. A NULL argument makes the whole text NULL.
  DuckDB and Spark have printf; PostgreSQL's format() knows only %s, so there the text is
  concatenated from casts (a float exactly halfway, such as 2.25, may round the other way).
#}
{% macro format_text(format) -%}
    {{ return(adapter.dispatch('format_text', 'cs360')(format, varargs)) }}
{%- endmacro %}

{% macro default__format_text(format, args) -%}
    printf('{{ format | replace("'", "''") }}'{% for arg in args %}, {{ arg }}{% endfor %})
{%- endmacro %}

{% macro postgres__format_text(format, args) -%}
    {%- set pieces = modules.re.split('(%(?:\\.[0-9]+f|d|s|%))', format) -%}
    {%- set parts = [] -%}
    {%- set position = namespace(next=0) -%}
    {%- for piece in pieces if piece != '' -%}
        {%- if piece == '%%' -%}
            {%- do parts.append("'%'") -%}
        {%- elif piece in ('%d', '%s') -%}
            {%- do parts.append("cast(" ~ args[position.next] ~ " as text)") -%}
            {%- set position.next = position.next + 1 -%}
        {%- elif piece.startswith('%.') and piece.endswith('f') -%}
            {%- do parts.append("public.cs360_format_fixed(cast(" ~ args[position.next] ~ " as double precision), " ~ piece[2:-1] ~ ")") -%}
            {%- set position.next = position.next + 1 -%}
        {%- else -%}
            {%- do parts.append("'" ~ piece | replace("'", "''") ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if position.next != args | length -%}
        {{ exceptions.raise_compiler_error("format_text: " ~ (args | length) ~ " arguments for '" ~ format ~ "'") }}
    {%- endif -%}
    ({{ parts | join(' || ') }})
{%- endmacro %}
