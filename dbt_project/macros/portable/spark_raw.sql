{#
  On-run-start: the raw layer of a Spark warehouse is Parquet files written by dlt's
  filesystem destination, `<CS360_SPARK_RAW_URL>/raw_<source>/<table>/<load_id>.<file_id>.parquet`
  (a local folder, or s3://, gs://, abfss:// on a cluster). Each table folder found there
  becomes the table raw_<source>.<table> over that folder (`using parquet location`), so
  the sources and source_or_empty see it like a dlt table on any other engine.

  The folders are listed with Spark's binaryFile reader (only its path column is read, not
  the files' bytes). Tables are re-created on every run: a registration is metadata only,
  and a load that added a column is then seen. Other engines: nothing (dlt writes there).
  Without CS360_SPARK_RAW_URL nothing is registered and the sources render empty.
#}
{% macro register_raw_parquet() -%}
    {{ return(adapter.dispatch('register_raw_parquet', 'cs360')()) }}
{%- endmacro %}

{% macro default__register_raw_parquet() -%}{%- endmacro %}

{% macro spark__register_raw_parquet() -%}
    {%- set root = env_var('CS360_SPARK_RAW_URL', '') | trim -%}
    {%- if execute and root -%}
        {%- set listing -%}
            select distinct
                regexp_extract(path, '/(raw_[a-z0-9_]+)/([a-z0-9_]+)/[^/]+$', 1) as dataset,
                regexp_extract(path, '/(raw_[a-z0-9_]+)/([a-z0-9_]+)/[^/]+$', 2) as table_name,
                regexp_extract(path, '^(.*)/[^/]+$', 1) as location
            from binaryFile.`{{ root.rstrip('/') }}/raw_*/*/*.parquet`
            order by 1, 2
        {%- endset -%}
        {%- for row in run_query(listing) if row[0] and row[1] and not row[1].startswith('_dlt') -%}
            {%- do run_query('create database if not exists `' ~ row[0] ~ '`') -%}
            {%- do run_query('drop table if exists `' ~ row[0] ~ '`.`' ~ row[1] ~ '`') -%}
            {%- do run_query('create table `' ~ row[0] ~ '`.`' ~ row[1] ~ '` using parquet location \''
                             ~ row[2] ~ '\'') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
