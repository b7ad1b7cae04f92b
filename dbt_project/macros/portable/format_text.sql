{#
  printf-style text: format_text('%d of %d seats active', 'active_users', 'seats').
  The format takes %d (a whole number), %.Nf (N decimals), %s (text) and %%; each further
  argument is a column expression. A NULL argument makes the whole text NULL.
  DuckDB has C's printf, the reference; Spark's printf is Java's, which rounds halves
  otherwise (spark__format_text below); PostgreSQL's format() knows only %s, so there the
  text is concatenated from casts and cs360_format_fixed.
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

{#
  Spark's printf is Java's: `%.nf` rounds the float's shortest spelling half up (0.25 gives
  "0.3", 1.015 gives "1.02"), and a NULL argument prints "null". DuckDB's printf is C's:
  it rounds the float's exact binary value, an exact tie to even ("0.2"; 1.015 is stored
  as 1.01499…, "1.01"). Here each `%.nf` argument is rounded as C does and printed as a
  decimal, and a NULL argument makes the text NULL.
#}
{% macro spark__format_text(format, args) -%}
    {%- set pieces = modules.re.split('(%(?:\\.[0-9]+f|d|s|%))', format) -%}
    {%- set java_format = [] -%}
    {%- set values = [] -%}
    {%- for piece in pieces if piece != '' -%}
        {%- if piece in ('%d', '%s') -%}
            {%- do java_format.append(piece) -%}
            {%- do values.append(args[values | length]) -%}
        {%- elif piece.startswith('%.') and piece.endswith('f') -%}
            {%- do java_format.append('%s') -%}
            {%- do values.append(cs360.spark_format_fixed(args[values | length], piece[2:-1] | int)) -%}
        {%- else -%}
            {%- do java_format.append(piece) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if values | length != args | length -%}
        {{ exceptions.raise_compiler_error("format_text: " ~ (args | length) ~ " arguments for '" ~ format ~ "'") }}
    {%- endif -%}
    case when {% for arg in args %}({{ arg }}) is null{% if not loop.last %} or {% endif %}{% endfor %} then null
        else format_string('{{ java_format | join("") | replace("\\", "\\\\") | replace("'", "\\'") }}'
            {%- for value in values %}, {{ value }}{% endfor %}) end
{%- endmacro %}

