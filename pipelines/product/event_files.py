"""Product event files (parquet or jsonl): finding them, fingerprinting them, and reading them
as Arrow batches in the one shape the warehouse keeps, never row by row in Python.

Every batch comes out with the columns of `EVENT_SCHEMA` (missing columns are null, extra
ones dropped, types cast: ids to text, `occurred_at` to a UTC timestamp; a time without
zone is UTC) plus `_source_file`, the file's name relative to the events folder (for a file
renamed since it was loaded, the name its rows were loaded under). Rows
without `event_id`, `tenant_id` or a readable `occurred_at` are split off as rejects with
their reason, in bulk (Arrow masks); only those few rows ever become Python objects.

parquet is read by pyarrow; jsonl by DuckDB's newline-delimited JSON reader (every column
as text, so a number where text is expected or an object does not fail the whole file),
and only a file DuckDB cannot parse at all (a line that is not JSON) is read line by line.

A file is read as it was when it was listed: its size and modification time are taken then
(`EventFile.fingerprint`), and a jsonl log that grew while it was read is read again up to
the listed size only, so the rows loaded are exactly the bytes the fingerprint and the
content digest describe; what was appended loads on the next run.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EVENT_BATCH_ROWS = 1_000_000
EVENT_SUFFIXES = (".parquet", ".jsonl", ".ndjson")
SOURCE_FILE = "_source_file"
TEXT_COLUMNS = ("event_id", "tenant_id", "user_id", "event_type", "feature")
REQUIRED = ("event_id", "tenant_id", "occurred_at")
# Few distinct values per column: kept dictionary-encoded from the file to the warehouse.
# Reading them as dictionaries skips building millions of strings, the extract writes them
# as dictionary pages without re-hashing, and DuckDB loads dictionary pages fastest; it
# more than halves the time of an event load (benchmarks/ingest_events.py).
DICTIONARY_COLUMNS = ("tenant_id", "user_id", "event_type", "feature")
_DICT = pa.dictionary(pa.int32(), pa.string())
EVENT_SCHEMA = pa.schema(
    [pa.field("event_id", pa.string(), nullable=False)]
    + [pa.field(name, _DICT) for name in DICTIONARY_COLUMNS]
    + [pa.field("occurred_at", pa.timestamp("us", tz="UTC")), pa.field(SOURCE_FILE, _DICT)]
)


DIGEST_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class EventFile:
    path: Path
    name: str  # relative to the events root: stable when the folder moves
    size: int  # as listed: the file is read up to here, not further
    mtime_ns: int
    loaded_as: str | None = None  # the name it was first loaded under, when renamed since

    @property
    def source_file(self) -> str:
        """What its rows carry as `_source_file`: the name they were first loaded under."""
        return self.loaded_as or self.name

    @property
    def fingerprint(self) -> str:
        """The file as listed, never as it is later: appends made while it is read change the
        file's next fingerprint, so it loads again."""
        return f"{self.size}:{self.mtime_ns}"

    def digest(self) -> str:
        """sha256 of the listed bytes: the file's identity whatever its path or mtime."""
        sha = hashlib.sha256()
        with _ListedBytes(self.path, self.size) as data:
            while chunk := data.read(DIGEST_CHUNK_BYTES):
                sha.update(chunk)
        return sha.hexdigest()

    def changed_since_listed(self) -> bool:
        stat = self.path.stat()
        return (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns)


def event_files(events_path: str) -> list[EventFile]:
    """`events_path` is a folder (searched recursively) or a glob pattern."""
    root = Path(events_path)
    if root.is_dir():
        candidates = list(root.rglob("*"))
    else:
        candidates = [Path(p) for p in glob.glob(events_path, recursive=True)]
        root = Path(_static_prefix(events_path))
    files = sorted(p for p in candidates if p.is_file() and p.suffix in EVENT_SUFFIXES)
    listed = []
    for path in files:
        stat = path.stat()
        name = os.path.relpath(path, root) if root.is_dir() else path.name
        listed.append(EventFile(path, name, stat.st_size, stat.st_mtime_ns))
    return listed


class _ListedBytes(io.RawIOBase):
    """A file's first `size` bytes, seekable, for readers that would read to the end."""

    def __init__(self, path: Path, size: int):
        super().__init__()
        self._file = path.open("rb")
        self._size = size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            offset, whence = self._size + offset, io.SEEK_SET
        return self._file.seek(offset, whence)

    def readinto(self, buffer) -> int:
        wanted = max(0, min(len(buffer), self._size - self._file.tell()))
        data = self._file.read(wanted)
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


def _static_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard."""
    parts = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."


@dataclass
class Batch:
    good: pa.Table  # EVENT_SCHEMA
    rejects: list[tuple[dict, str]]  # (record, reason)


def read_event_batches(file: EventFile, batch_rows: int = EVENT_BATCH_ROWS) -> Iterator[Batch]:
    if file.path.suffix == ".parquet":
        names = pq.read_schema(file.path).names
        parquet = pq.ParquetFile(file.path, read_dictionary=[c for c in DICTIONARY_COLUMNS if c in names])
        wanted = [name for name in names if name in EVENT_SCHEMA.names]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=wanted):
            yield _conform(pa.Table.from_batches([batch]), file.source_file)
    else:
        yield from _read_jsonl(file, batch_rows)


# For the load package's own files: dictionary pages for the few-valued columns only, and no
# column statistics (min/max of millions of event ids cost more than the rest of the write,
# and the warehouse reads every row anyway).
LOAD_FILE_OPTIONS = {"use_dictionary": [*DICTIONARY_COLUMNS, SOURCE_FILE, "_dlt_load_id"], "write_statistics": False,
                     "compression": "snappy"}


class LoadFileWriter:
    """Writes the valid rows of event files, with `_dlt_load_id`, into one parquet file
    ready to be imported into a dlt load package. One writer per thread."""

    def __init__(self, target: Path, load_id: str, batch_rows: int = EVENT_BATCH_ROWS):
        self.target, self.load_id, self.batch_rows = target, load_id, batch_rows
        self.rows = 0
        self.rejects: list[tuple[dict, str]] = []
        self._writer: pq.ParquetWriter | None = None

    def add(self, file: EventFile) -> None:
        for batch in read_event_batches(file, self.batch_rows):
            self.rejects.extend(batch.rejects)
            good = batch.good
            if not good.num_rows:
                continue
            load_ids = pa.DictionaryArray.from_arrays(pa.array(np.zeros(good.num_rows, np.int8)),
                                                      pa.array([self.load_id]), safe=False)
            good = good.append_column(pa.field("_dlt_load_id", load_ids.type, nullable=False), load_ids)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.target, good.schema, **LOAD_FILE_OPTIONS)
            self._writer.write_table(good, row_group_size=self.batch_rows)
            self.rows += good.num_rows

    def close(self) -> Path | None:
        """The written file, or None when no row was valid."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.target if self.rows else None


def _conform(table: pa.Table, name: str, raw_times: pa.Array | None = None) -> Batch:
    """Cast to EVENT_SCHEMA (+ source file) and split off rows missing what an event needs."""
    n = table.num_rows
    if "occurred_at" in table.column_names and (pa.types.is_string(table.schema.field("occurred_at").type)
                                               or pa.types.is_large_string(table.schema.field("occurred_at").type)):
        raw_times = table.column("occurred_at") if raw_times is None else raw_times
        table = table.set_column(table.schema.get_field_index("occurred_at"), "occurred_at",
                                 _parse_times(table.column("occurred_at")))
    columns = []
    for field in EVENT_SCHEMA:
        if field.name == SOURCE_FILE:
            column = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([name]), safe=False)
        elif field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = _cast(column, field.type)
        else:
            column = pa.nulls(n, field.type)
        columns.append(column)
    schema = EVENT_SCHEMA.set(0, EVENT_SCHEMA.field(0).with_nullable(True))
    conformed = pa.Table.from_arrays(columns, schema=schema)
    if all(conformed.column(c).null_count == 0 for c in REQUIRED):
        return Batch(conformed.cast(EVENT_SCHEMA), [])
    valid = pc.and_(pc.and_(pc.is_valid(conformed.column("event_id")), pc.is_valid(conformed.column("tenant_id"))),
                    pc.is_valid(conformed.column("occurred_at")))
    bad = conformed.filter(pc.invert(valid))
    bad_times = raw_times.filter(pc.invert(valid)).to_pylist() if raw_times is not None else [None] * bad.num_rows
    rejects = [(_record(row, raw), _reason(row, raw)) for row, raw in zip(bad.to_pylist(), bad_times, strict=True)]
    return Batch(conformed.filter(valid).cast(EVENT_SCHEMA), rejects)


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(column.type) and column.type.tz is None:
        column = pc.assume_timezone(column, "UTC")
    if pa.types.is_dictionary(column.type) and column.type != target:
        column = column.cast(column.type.value_type)
    if pa.types.is_dictionary(target) and not pa.types.is_dictionary(column.type):
        return pc.dictionary_encode(column.cast(target.value_type)).cast(target)
    return column.cast(target)


def _record(row: dict, raw_time: str | None) -> dict:
    record = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    if raw_time is not None and record.get("occurred_at") is None:
        record["occurred_at"] = raw_time
    return record


def _reason(row: dict, raw_time: str | None) -> str:
    problems = [f"{key}: missing" for key in ("event_id", "tenant_id") if row.get(key) is None]
    if row.get("occurred_at") is None:
        problems.append("occurred_at: missing" if raw_time is None else
                        f"occurred_at: expected an ISO-8601 timestamp, got {json.dumps(raw_time)}")
    return "; ".join(problems)


_JSONL_SQL = """
    select {text}, try_cast(occurred_at as timestamptz) as occurred_at, occurred_at as raw_occurred_at
    from {source}
"""
_JSONL_COLUMNS = {name: "VARCHAR" for name in (*TEXT_COLUMNS, "occurred_at")}


def _read_jsonl(file: EventFile, batch_rows: int) -> Iterator[Batch]:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        text = ", ".join(TEXT_COLUMNS)
        try:
            # by path: DuckDB's own reader is the fast one, but reads to the end as it is then
            sql = _JSONL_SQL.format(text=text, source="read_json($path, format = 'newline_delimited', columns = $c)")
            batches = list(con.sql(sql, params={"path": str(file.path), "c": _JSONL_COLUMNS}
                                   ).to_arrow_reader(batch_rows))  # parse errors surface here
            if file.changed_since_listed():  # appended meanwhile: again, the listed bytes only
                listed = _ListedBytes(file.path, file.size)
                con.read_json(listed, format="newline_delimited", columns=_JSONL_COLUMNS).create_view("listed")
                batches = list(con.sql(_JSONL_SQL.format(text=text, source="listed")).to_arrow_reader(batch_rows))
        except duckdb.Error:
            yield from _read_jsonl_lines(file, batch_rows)
            return
        for batch in batches:
            table = pa.Table.from_batches([batch])
            yield _conform(table.drop_columns(["raw_occurred_at"]), file.source_file,
                           table.column("raw_occurred_at"))
    finally:
        con.close()


def _read_jsonl_lines(file: EventFile, batch_rows: int) -> Iterator[Batch]:
    """The slow path for a file with lines that are not JSON objects: those lines are
    rejected, the others read in batches (timestamps still parsed by Arrow/DuckDB rules)."""
    rows: list[dict] = []
    broken: list[tuple[dict, str]] = []
    name = file.source_file
    listed = io.BufferedReader(_ListedBytes(file.path, file.size))
    with io.TextIOWrapper(listed, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                broken.append(({"line": number, "text": line.rstrip("\n")[:1000], SOURCE_FILE: name},
                               f"not a JSON object: {exc}"))
                continue
            if not isinstance(record, dict):
                broken.append(({"line": number, "text": line.rstrip("\n")[:1000], SOURCE_FILE: name},
                               "not a JSON object"))
                continue
            rows.append({k: _text(record.get(k)) for k in (*TEXT_COLUMNS, "occurred_at")})
            if len(rows) >= batch_rows:
                yield _parsed(rows, name)
                rows = []
    if rows or broken:
        batch = _parsed(rows, name) if rows else Batch(pa.Table.from_pylist([], schema=EVENT_SCHEMA), [])
        batch.rejects.extend(broken)
        yield batch


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _parsed(rows: list[dict], name: str) -> Batch:
    table = pa.Table.from_pylist(rows, schema=pa.schema([(k, pa.string()) for k in (*TEXT_COLUMNS, "occurred_at")]))
    return _conform(table, name)


def _parse_times(texts: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO-8601 texts as UTC timestamps, the way DuckDB reads them (a time without zone is
    UTC, `Z` and offsets and fractions are understood); null where unreadable."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.register("texts", pa.table({"t": texts}))
        return con.sql("select try_cast(t as timestamptz) as t from texts").to_arrow_table().column("t")
    finally:
        con.close()
