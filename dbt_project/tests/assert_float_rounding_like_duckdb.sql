-- round_float and format_text's %.nf round a float's exact binary value on every engine, as
-- DuckDB does (round: an exact tie away from zero; printf: an exact tie to even). Spark
-- rounds the shortest decimal spelling and PostgreSQL a numeric unless told otherwise
-- (macros/portable/rounding.sql, create_portable_functions). Rows returned are failures.
{%- set cases = [
    ('1.005', 2, '1.0', '1.00'),
    ('0.125', 2, '0.13', '0.12'),
    ('-0.125', 2, '-0.13', '-0.12'),
    ('75.675', 2, '75.67', '75.67'),
    ('2.675', 2, '2.67', '2.67'),
    ('0.25', 1, '0.3', '0.2'),
    ('1.25', 1, '1.3', '1.2'),
    ('0.35', 1, '0.3', '0.3'),
    ('0.45', 1, '0.5', '0.5'),
    ('9201.0 / 60.0', 1, '153.3', '153.3'),
    ('1234.5678', 2, '1234.57', '1234.57'),
] %}

with cases as (
    {%- for value, places, rounded, printed in cases %}
    select
        '{{ value }}' as case_value,
        {{ round_float('cast(' ~ value ~ ' as ' ~ type_double() ~ ')', places) }} as rounded,
        cast({{ rounded }} as {{ type_double() }}) as expected_rounded,
        {{ format_text('%.' ~ places ~ 'f', 'cast(' ~ value ~ ' as ' ~ type_double() ~ ')') }} as printed,
        '{{ printed }}' as expected_printed
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
    union all
    -- a NULL argument makes the text NULL
    select 'null', null, null, {{ format_text('%.1f per seat', 'cast(null as ' ~ type_double() ~ ')') }}, null
)

select *
from cases
where coalesce(rounded <> expected_rounded, rounded is not null or expected_rounded is not null)
    or coalesce(printed <> expected_printed, printed is not null or expected_printed is not null)
