{#
  Rounding a float to a few decimals the way DuckDB does it: on the float's exact binary
  value, an exact tie away from zero (round) or to even (C's printf, format_text). 1.005
  is stored as 1.00499…, so it rounds to 1.0; 0.125 is exact, so it rounds to 0.13.

  Spark's round() and printf round the float's shortest decimal spelling half up instead
  (1.005 gives 1.01), so a mean of 75.675 or a duration of 153.35 minutes would come out
  one digit apart. PostgreSQL gets a round(double precision, integer) of its own
  (create_portable_functions).

  `round_float(x, places)` is round() for a float with one to a few decimals; round(x, 0)
  needs none (a tie at 0 decimals is exact in binary on every engine).
#}
{% macro round_float(expression, places) -%}
    {{ return(adapter.dispatch('round_float', 'cs360')(expression, places)) }}
{%- endmacro %}
{% macro default__round_float(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}
{% macro spark__round_float(expression, places) -%}
    {%- set x = "cast(" ~ expression ~ " as double)" -%}
    case
        when isnan({{ x }}) or abs({{ x }}) >= 1e15 then round({{ x }}, {{ places }})
        else (case when {{ x }} < 0 then -1 else 1 end)
            * cast({{ cs360.spark_round_exact(x, places, half_even=false) }} as double)
    end
{%- endmacro %}

{# A float as text with `places` decimals, as C's printf('%.nf') writes it (the `%.nf` of spark__format_text). #}
{% macro spark_format_fixed(expression, places) -%}
    {%- set x = "cast(" ~ expression ~ " as double)" -%}
    case
        when isnan({{ x }}) or abs({{ x }}) >= 1e15 then format_string('%.{{ places }}f', {{ x }})
        else concat(case when {{ x }} < 0 then '-' else '' end,
                    cast({{ cs360.spark_round_exact(x, places, half_even=true) }} as string))
    end
{%- endmacro %}

{#
  abs(x) rounded to `places` decimals on its exact binary value, as decimal(38, places);
  for a finite float below 1e15. Spark's cast to decimal gives the float's shortest
  spelling, which rounds the same way unless it is a tie itself (0.125, 1.005). Then the
  exact value decides: abs(x) = m / 2^j with m an integer (j from the binary exponent),
  the tie is t = (2k+1) / (2 x 10^places), and m x 2 x 10^places is compared with
  (2k+1) x 2^j in decimal(38, 0), exactly.
#}
{% macro spark_round_exact(x, places, half_even) -%}
    {#- 2^j must fit a bigint: a tie at 3 or more places can be small enough to need j > 62 -#}
    {%- if places > 2 -%}
        {{ exceptions.raise_compiler_error("round_float / format_text on Spark: at most 2 decimals, not " ~ places) }}
    {%- endif -%}
    {%- set scale = 10 ** places -%}
    {%- set shortest = "cast(abs(" ~ x ~ ") as decimal(38, 18))" -%}
    {%- set scaled = "(" ~ shortest ~ " * " ~ scale ~ ")" -%}
    {%- set k = "floor(" ~ scaled ~ ")" -%}
    {%- set j = "(54 - cast(floor(log2(abs(" ~ x ~ "))) as int))" -%}
    {%- set m = "cast(cast(abs(" ~ x ~ ") * pow(2, " ~ j ~ ") as bigint) as decimal(38, 0))" -%}
    {%- set side = "sign(" ~ m ~ " * " ~ (2 * scale) ~ " - cast(" ~ scaled ~ " * 2 as decimal(38, 0))"
                   ~ " * cast(shiftleft(cast(1 as bigint), " ~ j ~ ") as decimal(38, 0)))" -%}
    cast(case
        when {{ scaled }} - {{ k }} <> 0.5 then round({{ shortest }}, {{ places }})
        when {{ side }} < 0 then {{ k }} / {{ scale }}
        when {{ side }} > 0 then ({{ k }} + 1) / {{ scale }}
        {%- if half_even %}
        when mod({{ k }}, 2) = 0 then {{ k }} / {{ scale }}
        {%- endif %}
        else ({{ k }} + 1) / {{ scale }}
    end as decimal(38, {{ places }}))
{%- endmacro %}
