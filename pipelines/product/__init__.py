"""Product source: the product's own database (tenants, users) and its event files.

The database is read with dlt's `sql_table` over SQLAlchemy (SQLite, PostgreSQL, MySQL)
with the pyarrow backend; event files (parquet or jsonl) are read straight into Arrow
batches, never row by row in Python. The product knows tenants and users, not CRM ids:
matching them to accounts is dbt's job.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
import pyarrow as pa
from dlt.sources import DltResource
from dlt.sources.sql_database import sql_table

from pipelines.credentials import ProductSettings, product_settings
from pipelines.product.event_files import (
    EVENT_BATCH_ROWS,
    event_files,
    file_fingerprint,
    read_event_batches,
    with_required_key,
)

PRODUCT_TABLES = {"tenants": "tenant_id", "users": "user_id"}


@dlt.source(name="product")
def product(settings: ProductSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    for table, key in PRODUCT_TABLES.items():
        yield dlt.resource(_database_table, name=table, primary_key=key, write_disposition="merge")(table, settings)
    yield dlt.resource(_events, name="events", primary_key="event_id", write_disposition="merge")(settings)


def _database_table(table: str, settings: ProductSettings | None) -> Iterator[pa.Table]:
    # The inner sql_table is built here, at load time, so no connection exists at import.
    source_table = sql_table(
        credentials=(settings or product_settings()).db_url, table=table, backend="pyarrow", chunk_size=50_000
    )
    for chunk in source_table:
        yield with_required_key(chunk, PRODUCT_TABLES[table], f"product table {table}")


def _events(settings: ProductSettings | None) -> Iterator[pa.Table]:
    """Only files not loaded before (by path, size and modification time) are read."""
    settings = settings or product_settings()
    if not settings.events_path:
        return
    loaded: dict[str, str] = dlt.current.resource_state().setdefault("loaded_files", {})
    for path in event_files(settings.events_path):
        fingerprint = file_fingerprint(path)
        if loaded.get(str(path)) == fingerprint:
            continue
        for batch in read_event_batches(path, EVENT_BATCH_ROWS):
            yield with_required_key(batch, "event_id", str(path))
        loaded[str(path)] = fingerprint
