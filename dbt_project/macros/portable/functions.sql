{#
  Functions that an engine lacks, created before a run (dbt_project.yml on-run-start), so
  the models keep one spelling:

  * PostgreSQL: round(double precision, integer). DuckDB, Spark, Snowflake and BigQuery
    round a float to n places; PostgreSQL only a numeric. DuckDB rounds the float's exact
    binary value, halves away from zero: 1.005 (stored as 1.00499…) gives 1.0, 13.125
    (stored exactly) gives 13.13. A cast to numeric keeps only the shortest spelling
    (1.005), which would round up, so where that spelling is a tie the function compares
    the float's exact value, mantissa / 2^shift, with the tie in integers.
  * PostgreSQL: cs360_format_fixed(value, places), the `%.nf` of format_text. DuckDB's
    printf rounds the exact value too, but an exact tie to even (1.25 gives "1.2").
#}
{% macro create_portable_functions() -%}
    {{ return(adapter.dispatch('create_portable_functions', 'cs360')()) }}
{%- endmacro %}

{% macro default__create_portable_functions() -%}{%- endmacro %}

{% macro postgres__create_portable_functions() -%}
create or replace function public.cs360_round_exact(value double precision, places integer, half_even boolean)
returns double precision language plpgsql immutable strict parallel safe as $fn$
declare
    tie numeric := abs(value::numeric) * power(10::numeric, places);  -- n + 0.5 in its shortest spelling
    bits bigint := ('x' || encode(float8send(abs(value)), 'hex'))::bit(64)::bigint;
    exponent integer := ((bits >> 52) & 2047)::integer;
    mantissa numeric := (bits & 4503599627370495) + case when exponent > 0 then 4503599627370496 else 0 end;
    shift integer := 1075 - greatest(exponent, 1);  -- abs(value) = mantissa / 2^shift
    exact numeric;
    halfway numeric;
begin
    if shift between 1 and 62 then
        exact := mantissa * power(10::numeric, places) * 2;
        halfway := 2 * tie * (1::bigint << shift)::numeric;
        if exact < halfway or (exact = halfway and half_even and mod(trunc(tie), 2) = 0) then
            return sign(value) * trunc(tie) / power(10::numeric, places);  -- towards zero
        end if;
    end if;
    return round(value::numeric, places)::double precision;  -- away from zero
end
$fn$;
create or replace function public.round(value double precision, places integer)
returns double precision language sql immutable strict parallel safe as $fn$
    select case
        when value in ('NaN', 'Infinity', '-Infinity') then value
        when mod(abs(value::numeric) * power(10::numeric, places), 1) = 0.5
            then public.cs360_round_exact(value, places, false)
        else round(value::numeric, places)::double precision
    end
$fn$;
create or replace function public.cs360_format_fixed(value double precision, places integer)
returns text language sql immutable strict parallel safe as $fn$
    select case
        when value in ('NaN', 'Infinity', '-Infinity') then value::text
        when mod(abs(value::numeric) * power(10::numeric, places), 1) = 0.5
            then round(public.cs360_round_exact(value, places, true)::numeric, places)::text
        else round(value::numeric, places)::text
    end
$fn$
{%- endmacro %}

{#
  How an incremental model replaces the days it scores again. `delete+insert` on the
  unique key where the adapter has it (DuckDB, PostgreSQL, Snowflake, …). dbt-spark has no
  delete+insert; on Parquet tables (no merge without Delta or Iceberg) the model is
  partitioned by day and `insert_overwrite` replaces the partitions of the days written,
  with dynamic partition overwrite: the same rows as delete+insert on (account, day) when
  every run writes whole days. Spark stores a partition column last in the table.
#}
{% macro daily_upsert_strategy() -%}
    {{ return(adapter.dispatch('daily_upsert_strategy', 'cs360')()) }}
{%- endmacro %}
{% macro default__daily_upsert_strategy() -%}{{ return('delete+insert') }}{%- endmacro %}
{% macro spark__daily_upsert_strategy() -%}{{ return('insert_overwrite') }}{%- endmacro %}

{% macro daily_upsert_partition(day_column) -%}
    {{ return(adapter.dispatch('daily_upsert_partition', 'cs360')(day_column)) }}
{%- endmacro %}
{% macro default__daily_upsert_partition(day_column) -%}{{ return(none) }}{%- endmacro %}
{% macro spark__daily_upsert_partition(day_column) -%}{{ return([day_column]) }}{%- endmacro %}
