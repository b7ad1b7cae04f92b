"""Product source: the product's own database (tenants, users) and its event files.

The database is read with dlt's `sql_table` over SQLAlchemy (SQLite, PostgreSQL, MySQL)
with the pyarrow backend; event files (parquet or jsonl) are read straight into Arrow
batches, never row by row in Python. The product knows tenants and users, not CRM ids:
matching them to accounts is dbt's job.

Database tables: the product keeps no change stamps or deletion log, so each run reads a
full snapshot and merges it on the primary key. A row that was loaded before and is no
longer in the snapshot is marked `is_deleted = true` (it is read back from the warehouse
and merged again with the mark), not silently kept alive. A row with a value that does not
convert to its column's type (SQLite stores anything anywhere) is quarantined, not marked
deleted (`loose_values.py`).

Event files: events never change once written, so the table is appended to and each file
is loaded once, by fingerprint (size and modification time as the file was listed, before
it is read, kept in dlt state per file name, with the sha256 of those bytes). A file whose
fingerprint changed (a log that grew, also while it was read) is loaded again with its old
rows deleted first: that run merges the events table with `delete-insert` on
`_source_file`, the file name each row came from. A file under a new name (the folder
renamed, PRODUCT_EVENTS_PATH changed, a file copied) is known by its content digest and not
loaded again; its rows keep the name they were loaded under. A path that matches no file
is said in the log, and fails the run once files were loaded before (a typo, a folder
moved): events do not silently stop.

Why not a merge on `event_id`: a merge loads into a staging table, then deduplicates and
merges into the final table, two more passes over every row; with tens of millions of
events that more than doubles the load (benchmarks/ingest_events.py measures it). Appending
file by file is exact as long as a file is never loaded twice, which the fingerprints
guarantee; and a load killed half way leaves rows under a load id that never completed,
which the next run deletes before it loads those files again.

Why the events are handed to dlt as parquet files it imports (`dlt.mark.with_file_import`,
dlt's fast path for files already in the load format) rather than as Arrow tables for dlt's
own writer: the files are read (pyarrow, low-cardinality columns kept as dictionaries) and
written for the load package by two threads in parallel, with writer settings dlt does not
expose (no column statistics, dictionary pages only where they pay); this cuts the extract
to under half of what dlt's single-threaded writer takes, and normalize merely links the
files. The columns, `_dlt_load_id` included, are declared in the source schema.
"""

from __future__ import annotations

import logging
import shutil
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.utils import generate_dlt_ids
from dlt.destinations.exceptions import DatabaseTerminalException, DatabaseUndefinedRelation
from dlt.sources import DltResource
from dlt.sources.sql_database import sql_table

from cs360_core.killpoints import kill_point
from pipelines.credentials import ProductSettings, product_settings
from pipelines.product.event_files import EVENT_SUFFIXES, SOURCE_FILE, EventFile, LoadFileWriter, event_files
from pipelines.product.loose_values import LooseValues
from pipelines.validation import as_rejects, columns, declare_columns, rejected_row, rejects_resource

log = logging.getLogger(__name__)

PRODUCT_TABLES = {"tenants": "tenant_id", "users": "user_id"}
DB_CHUNK_ROWS = 50_000
EVENT_FILE_WORKERS = 2


class EventFilesMissing(RuntimeError):
    """PRODUCT_EVENTS_PATH matches no file, though files were loaded from the events path before."""


@dlt.source(name="product")
def product(settings: ProductSettings | None = None) -> Iterator[DltResource]:
    """`settings=None` reads the environment when the load starts, never before."""
    declare_columns({"events": event_columns()})
    for table, key in PRODUCT_TABLES.items():
        yield dlt.resource(_database_table, name=table, primary_key=key, write_disposition="merge")(table, settings)
    yield dlt.resource(_events, name="events", write_disposition="append")(settings)
    yield rejects_resource()


# --- database tables ------------------------------------------------------------------------

def _database_table(table: str, settings: ProductSettings | None) -> Iterator[pa.Table]:
    # The inner sql_table is built here, at load time, so no connection exists at import.
    key = PRODUCT_TABLES[table]
    db_url = (settings or product_settings()).db_url
    loose = LooseValues(db_url)
    source_table = sql_table(
        credentials=db_url, table=table, backend="pyarrow", chunk_size=DB_CHUNK_ROWS,
        table_adapter_callback=loose.read_as_bytes,
    )
    keys: list[pa.ChunkedArray] = []
    schema: pa.Schema | None = None
    for chunk in source_table:
        readable, unreadable, unreadable_keys = loose.split(chunk, table, key)
        keys.append(unreadable_keys)  # still in the database: not to be marked deleted
        good, bad = _split_missing_key(readable, key, table)
        if unreadable or bad:
            yield as_rejects(unreadable + bad)
        if good.num_rows:
            keys.append(good.column(key))
            schema = good.schema
            yield _with_row_columns(good, deleted=False)
    if schema is not None:
        yield from _mark_deleted(table, key, schema, keys)


def _split_missing_key(chunk: pa.Table, key: str, table: str) -> tuple[pa.Table, list[dict]]:
    """Rows without a primary key are rejected; the key is then non-null, as dlt has it."""
    bad = []
    if chunk.column(key).null_count:
        missing = pc.is_null(chunk.column(key))
        bad = [rejected_row(table, row, f"{key}: missing") for row in chunk.filter(missing).to_pylist()]
        chunk = chunk.filter(pc.invert(missing))
    index = chunk.schema.get_field_index(key)
    return chunk.cast(chunk.schema.set(index, chunk.schema.field(key).with_nullable(False))), bad


def _with_row_columns(chunk: pa.Table, deleted: bool) -> pa.Table:
    """`is_deleted`, and a `_dlt_id` like every JSON-loaded row has (Arrow rows get none)."""
    chunk = chunk.append_column("is_deleted", pa.array([deleted] * chunk.num_rows, pa.bool_()))
    return chunk.append_column("_dlt_id", pa.array(generate_dlt_ids(chunk.num_rows), pa.string()))


def _mark_deleted(table: str, key: str, schema: pa.Schema, keys: list[pa.ChunkedArray]) -> Iterator[pa.Table]:
    """Rows loaded before whose key is no longer in the snapshot, again, marked deleted.

    The warehouse has the columns under dlt's normalized names (`createdAt` -> `created_at`),
    escaped since some are reserved words (`order`); the rows read back are renamed to the
    source's names, so they merge like the snapshot's own rows. A column the source gained
    since the row was loaded is not in the warehouse yet: null."""
    pipeline = dlt.current.pipeline()
    naming = dlt.current.source_schema().naming
    snapshot = pa.chunked_array([c for k in keys for c in k.chunks], type=schema.field(key).type)
    try:
        with pipeline.sql_client() as client:
            qualified = client.make_qualified_table_name(naming.normalize_table_identifier(table))
            key_column = client.escape_column_name(naming.normalize_identifier(key))
            live = _live_keys(client, qualified, key_column)
            if len(live) == 0:
                return
            if len(snapshot) == 0:
                log.warning("product table %s came back empty; not marking its %d loaded rows deleted",
                            table, len(live))
                return
            gone = live.filter(pc.invert(pc.is_in(live, value_set=snapshot.combine_chunks())))
            if len(gone) == 0:
                return
            placeholders = ", ".join(["%s"] * len(gone))
            with client.execute_query(f"select * from {qualified} where {key_column} in ({placeholders})",
                                      *gone.to_pylist()) as cursor:
                stored = [column[0] for column in cursor.description]
                found = cursor.fetchall()
    except DatabaseUndefinedRelation:
        return  # nothing loaded yet
    source_name = {naming.normalize_identifier(name): name for name in schema.names}
    rows = pa.Table.from_pylist(
        [{source_name[column]: value for column, value in zip(stored, row, strict=True) if column in source_name} for row in found],
        schema=schema)
    log.info("product table %s: %d rows no longer in the database, marked deleted", table, rows.num_rows)
    yield _with_row_columns(rows, deleted=True)


def _live_keys(client, qualified: str, key_column: str) -> pa.Array:
    try:
        rows = client.execute_sql(f"select {key_column} from {qualified} where is_deleted is not true")
    except DatabaseTerminalException:  # loaded before deletions were marked: no is_deleted yet
        rows = client.execute_sql(f"select {key_column} from {qualified}")
    return pa.array([row[0] for row in rows or []])


# --- event files ----------------------------------------------------------------------------

def _events(settings: ProductSettings | None) -> Iterator[object]:
    settings = settings or product_settings()
    if not settings.events_path:
        return
    state = dlt.current.resource_state()
    legacy = state.pop("loaded_files", None)  # keyed by absolute path, rows without _source_file
    loaded: dict[str, dict] = state.setdefault("files", {})
    files = event_files(settings.events_path)
    if not files:
        _no_event_files(settings.events_path, len(loaded) or len(legacy or ()))
        return
    digests = _files_to_load(files, loaded)  # with no `files` state yet, all of them
    todo = list(digests)
    if not todo:
        return
    _discard_unfinished_loads()
    if legacy:
        # loaded before files were named in the table: reload them all once, replacing the table
        hints = dlt.mark.make_hints(write_disposition="replace")
    elif any(f.name in loaded for f in todo):
        hints = dlt.mark.make_hints(write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                                    merge_key=SOURCE_FILE)
    else:
        hints = None
    load_id = dlt.current.load_package_state()["load_id"]
    folder = Path(dlt.current.pipeline().working_dir) / "event_load_files" / load_id
    folder.mkdir(parents=True, exist_ok=True)
    try:
        writers = _write_load_files(todo, folder, load_id)
        log.info("product events: %d rows read from %d files", sum(w.rows for w in writers), len(todo))
        for writer in writers:
            path = writer.close()
            if path is not None:
                yield dlt.mark.with_file_import(str(path), "parquet", writer.rows, hints)
                kill_point("product_event_file")
            if writer.rejects:
                yield as_rejects([rejected_row("events", record, reason) for record, reason in writer.rejects])
        for file in todo:
            loaded[file.name] = _loaded_entry(file, digests[file])
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the package holds its own links or copies


def _write_load_files(todo: list, folder: Path, load_id: str) -> list[LoadFileWriter]:
    """The event files read and written again for the load package by `EVENT_FILE_WORKERS`
    threads (pyarrow releases the GIL while it decodes and encodes), each into its own
    file: as many load files as DuckDB has cores to insert them with, not one per event file
    (two dozen concurrent inserts into one table are slower than two)."""
    queue = deque(todo)
    writers = [LoadFileWriter(folder / f"events_{n}.parquet", load_id) for n in range(EVENT_FILE_WORKERS)]

    def work(writer: LoadFileWriter) -> None:
        while True:
            try:
                file = queue.popleft()  # deque pops are atomic: a file goes to one writer
            except IndexError:
                return
            writer.add(file)

    try:
        with ThreadPoolExecutor(max_workers=EVENT_FILE_WORKERS, thread_name_prefix="event-files") as pool:
            futures = [pool.submit(work, writer) for writer in writers]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                queue.clear()  # the other writer stops after its current file
                raise
    except BaseException:
        for writer in writers:
            writer.close()
        raise
    return writers


def event_columns() -> dict[str, dict]:
    """The events table as `write_load_file` writes it (dlt reads no schema from an imported
    file, so the source declares it)."""
    return {**columns(event_id="text_key", tenant_id="text", user_id="text", event_type="text", feature="text",
                      occurred_at="timestamp", _source_file="text"),
            "_dlt_load_id": {"data_type": "text", "nullable": False}}


def _no_event_files(events_path: str, loaded_before: int) -> None:
    """Nothing to load is said, and is an error once files were loaded: the path has a typo,
    or the folder moved or was emptied, and the events would silently stop."""
    matched = f"PRODUCT_EVENTS_PATH {events_path} matches no event file ({', '.join(EVENT_SUFFIXES)})"
    if loaded_before:
        files = "1 file was" if loaded_before == 1 else f"{loaded_before} files were"
        raise EventFilesMissing(f"{matched}, but {files} loaded from the events path before: point "
                                "PRODUCT_EVENTS_PATH at the folder that holds them, or unset it to stop loading events")
    log.warning("%s; no events loaded", matched)


def _files_to_load(files: list[EventFile], loaded: dict[str, dict]) -> dict[EventFile, str]:
    """The files to load, with the digest of their content, each under the `_source_file` its
    rows carry. A file whose name and fingerprint are known is not read. Any other is known
    by its content: a file renamed, moved or copied (new name or new mtime, same bytes) is
    recorded under its new name and not loaded again; a file that changed (a log that grew)
    loads again in place of its old rows."""
    for name, entry in loaded.items():
        if isinstance(entry, str):  # recorded before digests: the fingerprint alone
            loaded[name] = {"fingerprint": entry}
    unsure = [f for f in files if f.name not in loaded or "digest" not in loaded[f.name]
              or loaded[f.name]["fingerprint"] != f.fingerprint]
    with ThreadPoolExecutor(max_workers=EVENT_FILE_WORKERS, thread_name_prefix="event-digests") as pool:
        digests = list(pool.map(EventFile.digest, unsure))
    listed = {f.name for f in files}
    rows_of = {entry["digest"]: (name, entry.get("rows_as", name))
               for name, entry in loaded.items() if "digest" in entry}
    labels = {entry.get("rows_as", name) for name, entry in loaded.items()}
    todo: dict[EventFile, str] = {}
    for file, digest in zip(unsure, digests, strict=True):
        known = loaded.get(file.name)
        if known and (known["digest"] == digest if "digest" in known else known["fingerprint"] == file.fingerprint):
            known.update(fingerprint=file.fingerprint, digest=digest)  # the same bytes (copied, touched)
        elif known:  # changed: loads again in place of its old rows
            todo[replace(file, loaded_as=known.get("rows_as"))] = digest
        elif digest in rows_of:  # renamed, moved or copied: its rows are there
            first, rows_as = rows_of[digest]
            loaded[file.name] = _loaded_entry(replace(file, loaded_as=rows_as), digest)
            if first not in listed:
                loaded.pop(first, None)
            rows_of[digest] = (file.name, rows_as)
            log.info("product event file %s has the bytes of %s, loaded before: not loaded again", file.name, first)
        else:  # new; under another `_source_file` when its name is one a renamed file's rows carry
            new = replace(file, loaded_as=f"{file.name}@{digest[:12]}") if file.name in labels else file
            todo[new] = digest
            rows_of[digest] = (file.name, new.source_file)
            labels.add(new.source_file)
    return todo


def _loaded_entry(file: EventFile, digest: str) -> dict:
    entry = {"fingerprint": file.fingerprint, "digest": digest}
    return {**entry, "rows_as": file.source_file} if file.source_file != file.name else entry


def _discard_unfinished_loads() -> None:
    """Rows of a load that never completed (a run killed while loading) are deleted, so the
    files they came from, which the restored state says are not loaded, are not doubled."""
    pipeline = dlt.current.pipeline()
    try:
        with pipeline.sql_client() as client:
            events = client.make_qualified_table_name("events")
            loads = client.make_qualified_table_name("_dlt_loads")
            client.execute_sql(f"delete from {events} where _dlt_load_id not in "
                               f"(select load_id from {loads} where status = 0)")
    except DatabaseUndefinedRelation:
        pass
