"""The raw layer as Parquet files, the way dlt's `filesystem` destination lays it out.

On Spark the raw tables are files: `<bucket_url>/raw_<source>/<table>/<load_id>.<file_id>.parquet`,
written by dlt's filesystem destination (the same code writes to `s3://`, `gs://`,
`az://` or a local folder). The dbt project registers each table folder as a Parquet
table (macros/portable/spark_raw.sql).

`export_raw_schemas` copies the raw schemas of an ingested DuckDB warehouse into that
layout through dlt, one pipeline per raw dataset, replacing what was there: a DuckDB run
and a Spark run of the same data then start from the same rows.
"""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from cs360_core import duckdb_limits

RAW_PREFIX = "raw_"


def raw_tables(connection: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """`raw_<source>` -> its tables (dlt's own `_dlt_*` tables left out)."""
    rows = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema like 'raw\\_%' escape '\\' and table_name not like '\\_dlt%' escape '\\' "
        "order by 1, 2").fetchall()
    datasets: dict[str, list[str]] = {}
    for schema, table in rows:
        datasets.setdefault(schema, []).append(table)
    return datasets


def parquet_pipeline(dataset: str, bucket_url: str, pipelines_dir: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"cs360_parquet_{dataset}",
        destination=dlt.destinations.filesystem(bucket_url=bucket_url),
        dataset_name=dataset,
        pipelines_dir=str(pipelines_dir),
    )


def export_raw_schemas(warehouse: Path, bucket_url: str, pipelines_dir: Path) -> dict[str, dict[str, int]]:
    """Write every raw table of `warehouse` as Parquet under `bucket_url`; rows per table."""
    written: dict[str, dict[str, int]] = {}
    with duckdb_limits.connect(warehouse, read_only=True) as connection:
        # timestamps leave as UTC instants (Parquet isAdjustedToUTC), whatever the host's zone
        connection.execute("set TimeZone = 'UTC'")
        for dataset, tables in raw_tables(connection).items():
            resources = [
                dlt.resource(connection.sql(f'select * from "{dataset}"."{table}"').to_arrow_table(),
                             name=table, write_disposition="replace")
                for table in tables
            ]
            pipeline = parquet_pipeline(dataset, bucket_url, pipelines_dir)
            pipeline.run(resources, loader_file_format="parquet")
            counts = pipeline.last_trace.last_normalize_info.row_counts
            written[dataset] = {table: counts.get(table, 0) for table in tables}
    return written
