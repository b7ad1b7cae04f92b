"""The one place that knows how a source lands in the warehouse: a dlt pipeline per source,
writing dataset `raw_<source>` into the warehouse `CS360_WAREHOUSE` names (`<home>/warehouse.duckdb`
by default, or the PostgreSQL database of `CS360_POSTGRES_URL`), state under `<home>/dlt`."""

from __future__ import annotations

import dlt
from dlt.common.runtime.collector import NullCollector
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from cs360_core import duckdb_limits, warehouse
from cs360_core.killpoints import kill_point
from cs360_core.settings import Home


def raw_dataset(source_name: str) -> str:
    return f"raw_{source_name}"


def warehouse_pipeline(source_name: str, home: Home) -> dlt.Pipeline:
    # Arrow tables (product tables, event files) get `_dlt_load_id` like JSON rows do, so
    # every raw row can be traced to the load that wrote it.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # A loaded package's files are not kept: the event files of one load are the size of
    # the events themselves. The package's state and trace stay, as dlt keeps them.
    dlt.config["load.delete_completed_jobs"] = True
    # One load job at a time: DuckDB already spreads one INSERT over every core, and two
    # concurrent inserts into the same file contend (measured: the pair is ~20% slower).
    dlt.config["load.workers"] = 1
    return dlt.pipeline(
        pipeline_name=f"cs360_{source_name}",
        destination=destination(home),
        dataset_name=raw_dataset(source_name),
        pipelines_dir=str(home.dlt_dir),
        progress=LoadJobKillPoint(),
    )


def destination(home: Home):
    """dlt's destination for the configured warehouse engine, read when a run starts."""
    if warehouse.is_postgres():
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        # the URL carries the credentials: handed to dlt (which masks the password), never logged
        credentials = PostgresCredentials(warehouse.postgres_url())
        if credentials.password is None:
            credentials.password = ""  # a passwordless role (trust or peer auth): dlt requires the field
        credentials.resolve()
        return dlt.destinations.postgres(credentials=credentials)
    # DuckDB's memory bound (cs360_core.duckdb_limits), set on each connection dlt opens. A
    # load appends with INSERT ... SELECT FROM read_parquet: without keeping the files' row
    # order DuckDB inserts from all threads at once, in less memory (a raw table has no order
    # anyway); 6.2 s -> 4.2 s for the M world's 4 M events.
    config = {**duckdb_limits.duckdb_config(), "preserve_insertion_order": False}
    return dlt.destinations.duckdb(DuckDbCredentials(str(home.warehouse), global_config=config))


class LoadJobKillPoint(NullCollector):
    """dlt reports each finished load job to its progress collector: that is the place to
    kill a load half-way, some tables written and the package not yet complete."""

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        if name == "Jobs" and inc == 1 and total is None and label is None:
            kill_point("dlt_load_job")


def rows_loaded(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows per table written by the pipeline's last normalize step."""
    trace = pipeline.last_trace
    if not trace or not trace.last_normalize_info:
        return {}
    counts = trace.last_normalize_info.row_counts
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}


def loader_file_format(pipeline: dlt.Pipeline) -> str | None:
    """Parquet where the destination takes it (DuckDB reads it with its own parquet reader,
    in bulk, instead of running the INSERT statements of dlt's default format for JSON
    rows); otherwise the destination's own preference (None)."""
    return "parquet" if "parquet" in pipeline.destination.capabilities().supported_loader_file_formats else None
