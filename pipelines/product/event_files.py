"""Finding and reading product event files (parquet or jsonl) as Arrow batches."""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

EVENT_BATCH_ROWS = 500_000
EVENT_SUFFIXES = (".parquet", ".jsonl", ".ndjson")


def event_files(events_path: str) -> list[Path]:
    """`events_path` is a folder (searched recursively) or a glob pattern."""
    root = Path(events_path)
    if root.is_dir():
        candidates = root.rglob("*")
    else:
        candidates = (Path(p) for p in glob.glob(events_path, recursive=True))
    return sorted(p for p in candidates if p.is_file() and p.suffix in EVENT_SUFFIXES)


def file_fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def read_event_batches(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    if path.suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=batch_rows):
            yield pa.Table.from_batches([batch])
    else:
        yield pa_json.read_json(path)


def with_required_key(table: pa.Table, key: str, origin: str) -> pa.Table:
    """Mark the primary key non-nullable, as dlt's schema has it; a null key is an error."""
    nulls = table.column(key).null_count
    if nulls:
        raise ValueError(f"{origin}: {nulls} rows without {key}")
    index = table.schema.get_field_index(key)
    return table.cast(table.schema.set(index, table.schema.field(key).with_nullable(False)))
