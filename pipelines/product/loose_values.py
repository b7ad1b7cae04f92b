"""Values a loosely typed product database lets into a typed column, read without failing.

SQLite stores whatever it is given: `-1` or `'yesterday'` in a TIMESTAMP column, bytes that
are not UTF-8 in a TEXT column. SQLAlchemy converts each value as it fetches it (its SQLite
DATETIME type calls `datetime.fromisoformat`, the driver decodes TEXT as UTF-8), so one such
value fails the whole read. Instead, text and date/time columns are selected as bytes
(`CAST(col AS BLOB)`, SQLAlchemy's `column_expression`), and each fetched chunk is converted
in DuckDB, vectorised: a row whose value does not convert is quarantined with the reason,
the rest load with the types the column declares.

    loose = LooseValues(db_url)              # sql_table(..., table_adapter_callback=loose.read_as_bytes)
    good, rejects, rejected_keys = loose.split(chunk, "tenants", key="tenant_id")

Servers that type their columns (PostgreSQL) hand over typed values; nothing changes there.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pipelines.validation import rejected_row

# dialects that store any value in any column
LOOSELY_TYPED = {"sqlite"}
ISO_DATE_START = r"^\d{4}-\d\d-\d\d"  # as `datetime.fromisoformat` requires; not `infinity`, `epoch`


class BytesRead(sa.LargeBinary):
    """A column selected as its raw bytes, whatever the storage class of each value."""

    cache_ok = True

    def column_expression(self, colexpr: Any) -> Any:
        return sa.cast(colexpr, sa.LargeBinary)


def _kind(column_type: sa.types.TypeEngine) -> str | None:
    """What a column's bytes convert to (None: read as the database gives it)."""
    if isinstance(column_type, sa.DateTime):
        return "timestamptz" if column_type.timezone else "timestamp"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.Time):
        return "time"
    if isinstance(column_type, sa.String) and not isinstance(column_type, sa.Enum):
        return "text"
    return None


ARROW_TYPES = {"text": pa.string(), "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"),
               "date": pa.date32(), "time": pa.time64("us")}


def _converted(column: str, kind: str) -> str:
    """DuckDB expression: the bytes of `column` as `kind`, NULL where they do not convert."""
    decoded = f"try(decode({column}))"
    if kind == "text":
        return decoded
    if kind == "time":
        return f"try_cast({decoded} as time)"
    value = f"case when regexp_matches({decoded}, '{ISO_DATE_START}') then try_cast({decoded} as timestamptz) end"
    # years DuckDB accepts but Python's datetime cannot hold are no dates either
    value = (f"case when {value} between timestamptz '0001-01-01 00:00:00+00' "
             f"and timestamptz '9999-12-31 23:59:59.999999+00' then {value} end")
    return {"timestamptz": value, "timestamp": f"({value})::timestamp", "date": f"({value})::date"}[kind]


def _problem(kind: str, value: bytes) -> str:
    try:
        shown = json.dumps(value.decode("utf-8"))
    except UnicodeDecodeError:
        return f"expected UTF-8 text, got bytes {_cut(repr(value))}"
    wanted = "an ISO-8601 " + ("timestamp" if kind.startswith("timestamp") else kind)
    return f"expected {wanted}, got {_cut(shown)}"


def _cut(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


class LooseValues:
    """Reads the text and date/time columns of a loosely typed database as bytes, and splits
    each chunk into rows that convert and rejects. A no-op on a database that types its values."""

    def __init__(self, db_url: str):
        self.active = sa.engine.make_url(db_url).get_backend_name() in LOOSELY_TYPED
        self.kinds: dict[str, dict[str, str]] = {}  # table -> column -> kind

    def read_as_bytes(self, table: sa.Table) -> sa.Table:
        """`sql_table`'s table adapter: the columns to convert are selected as bytes."""
        kinds = self.kinds.setdefault(table.name, {})
        if self.active:
            for column in table.columns:
                if (kind := _kind(column.type)) is not None:
                    kinds[column.name] = kind
                    column.type = BytesRead()
        return table

    def split(self, chunk: pa.Table, table: str, key: str) -> tuple[pa.Table, list[dict], pa.ChunkedArray]:
        """(rows with every value converted, rejects with the reason, the keys of the rejects).
        Rows without their key are left to the caller, unless a value of theirs is rejected too
        (then that is said first). A reject's key is still in the database: its row is not
        deleted, only unreadable this time."""
        kinds = {name: kind for name, kind in self.kinds.get(table, {}).items() if name in chunk.column_names}
        if not kinds or chunk.num_rows == 0:
            return chunk, [], chunk.column(key).slice(0, 0)
        names = list(kinds)
        raw = pa.table({f"c{i}": chunk.column(name) for i, name in enumerate(names)})
        select = ", ".join(f"{_converted(f'c{i}', kinds[name])} as v{i}" for i, name in enumerate(names))
        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            con.register("raw", raw)
            converted = con.sql(f"select {select} from raw").to_arrow_table()
        bad_per_column = [pc.and_(pc.is_valid(raw.column(f"c{i}")), pc.is_null(converted.column(f"v{i}")))
                          for i in range(len(names))]
        bad = bad_per_column[0]
        for flags in bad_per_column[1:]:
            bad = pc.or_(bad, flags)
        good = chunk
        for i, name in enumerate(names):
            index = good.schema.get_field_index(name)
            good = good.set_column(index, pa.field(name, ARROW_TYPES[kinds[name]]),
                                   converted.column(f"v{i}").cast(ARROW_TYPES[kinds[name]]))
        rejects = self._rejects(chunk.filter(bad), table, key, kinds, [flags.filter(bad) for flags in bad_per_column])
        rejected_keys = pc.drop_null(good.column(key).filter(bad))
        return good.filter(pc.invert(bad)), rejects, rejected_keys

    @staticmethod
    def _rejects(rows: pa.Table, table: str, key: str, kinds: dict[str, str], flags: list) -> list[dict]:
        """Per rejected row only: its values made readable, and why."""
        names = list(kinds)
        rejects = []
        for n, row in enumerate(rows.to_pylist()):
            problems = [f"{key}: missing"] if row.get(key) is None else []
            problems += [f"{name}: {_problem(kinds[name], row[name])}"
                         for i, name in enumerate(names) if flags[i][n].as_py()]
            readable = {name: value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value
                        for name, value in row.items()}
            rejects.append(rejected_row(table, readable, "; ".join(problems)))
        return rejects
