"""Record checks shared by every source, and the quarantine for records that fail them.

A record that lacks a required key, or carries a value of the wrong kind, would otherwise
either stop the whole load (a type clash in the destination) or slip through and poison
the marts. Instead it is written to `raw_<source>._rejected_records` with why, and the rest
of the load goes on:

    RECORDS = RecordSpec("tickets", required={"id": integer, "updated_at": timestamp})
    yield from RECORDS.split(page)      # valid rows, then the rejects (to their own table)

Rejects travel in the same resource stream as the good rows and are dispatched with dlt's
table variants (`dlt.mark.with_hints(..., create_table_variant=True)`), so the rejects table
gets its own write disposition (append) and no primary key of the resource.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import dlt
from dlt.sources import DltResource

REJECTED_TABLE = "_rejected_records"


def columns(**types: str) -> dict[str, dict]:
    """Column hints from `name=data_type`; `"key"` is a non-null bigint primary key and
    `"text_key"` a non-null text one. Fresh dicts every call: dlt fills hints in place."""
    out = {}
    for name, data_type in types.items():
        if data_type in ("key", "text_key"):
            out[name] = {"data_type": "bigint" if data_type == "key" else "text", "nullable": False}
        else:
            out[name] = {"data_type": data_type}
    return out


def declare_columns(tables: dict[str, dict[str, dict]]) -> None:
    """Puts column types into the schema of the source being built (call it in the
    `@dlt.source` function), so every column exists with its type from the first load,
    even one that is null in every record so far (dbt selects it either way).

    Not the resources' `columns=` hint: the rejects table variant would inherit those."""
    from dlt.common.schema.utils import new_table

    schema = dlt.current.source_schema()
    for table, hints in tables.items():
        schema.update_table(new_table(table, columns=[{"name": name, **hint} for name, hint in hints.items()]))


REJECTED_COLUMNS = {name: {**hint, "nullable": False}
                    for name, hint in columns(resource="text", record="text", reason="text",
                                              rejected_at="timestamp").items()}

# A check returns None when the value is acceptable, else what is wrong with it.
Check = Callable[[Any], "str | None"]


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return type(value).__name__


def text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"expected text, got {_kind(value)} {_shown(value)}"


def nonempty_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return None
    return f"expected non-empty text, got {_kind(value)} {_shown(value)}"


def integer(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return f"expected an integer, got {_kind(value)} {_shown(value)}"


def identifier(value: Any) -> str | None:
    """An id as vendors send them: an integer or non-empty text."""
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.strip()):
        return None
    return f"expected an id, got {_kind(value)} {_shown(value)}"


def number(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            float(value)
            return None
        except ValueError:
            pass
    return f"expected a number, got {_kind(value)} {_shown(value)}"


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true/false, got {_kind(value)} {_shown(value)}"


# how far a vendor's clock may run ahead of ours before a change stamp is not believed
MAX_CLOCK_SKEW = timedelta(days=1)
_EPOCH_MS_DIGITS = 15  # epoch milliseconds stay below 10**15 until the year 33658


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 text (or epoch milliseconds as text) as an aware UTC datetime; None if
    neither, or if it does not fit a datetime (a long digit string, year 9999 with an offset)."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        if raw.isdigit():
            if len(raw) > _EPOCH_MS_DIGITS:
                return None
            return datetime.fromtimestamp(int(raw) / 1000, tz=timezone.utc)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def latest_believable(now: datetime | None = None) -> datetime:
    """The latest change stamp taken at its word: now plus the clock skew allowed."""
    return (now or datetime.now(timezone.utc)) + MAX_CLOCK_SKEW


def timestamp(value: Any) -> str | None:
    if parse_timestamp(value) is not None:
        return None
    return f"expected an ISO-8601 timestamp, got {_kind(value)} {_shown(value)}"


def change_stamp(value: Any) -> str | None:
    """A creation or modification time: a timestamp, and not in the future (beyond the
    allowed clock skew). One far-future stamp would move the cursor past every later change."""
    problem = timestamp(value)
    if problem is not None:
        return problem
    if parse_timestamp(value) > latest_believable():
        return f"{_shown(value)} lies in the future (more than {MAX_CLOCK_SKEW.days} day ahead of now)"
    return None


def one_of(*allowed: Any) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"expected one of {', '.join(map(str, allowed))}, got {_shown(value)}"

    return check


def integer_between(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        problem = integer(value)
        if problem is None and not low <= value <= high:
            problem = f"expected an integer from {low} to {high}, got {value}"
        return problem

    return check


def _lookup(record: Mapping, path: str) -> tuple[bool, Any]:
    """(present, value) for a dotted path into nested objects."""
    value: Any = record
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return False, None
        value = value[key]
    return True, value


@dataclass(frozen=True)
class RecordSpec:
    """What a resource needs of each record: `required` keys must be present and not null,
    `optional` ones may be absent or null but must pass their check when given. Keys may be
    dotted paths into nested objects (`stats.resolved_at`)."""

    resource: str
    required: Mapping[str, Check] = field(default_factory=dict)
    optional: Mapping[str, Check] = field(default_factory=dict)

    def problems(self, record: Any) -> list[str]:
        if not isinstance(record, Mapping):
            return [f"expected an object, got {_kind(record)}"]
        found = []
        for key, check in self.required.items():
            present, value = _lookup(record, key)
            if not present or value is None:
                found.append(f"{key}: missing")
            elif (problem := check(value)) is not None:
                found.append(f"{key}: {problem}")
        for key, check in self.optional.items():
            present, value = _lookup(record, key)
            if present and value is not None and (problem := check(value)) is not None:
                found.append(f"{key}: {problem}")
        return found

    def split(self, records: Iterable[Any], transform: Callable[[Any], Any] | None = None) -> Iterator[Any]:
        """Yields the good records (a list, transformed when `transform` is given), then the
        rejects as one item marked for the rejects table."""
        good, bad = [], []
        for record in records:
            problems = self.problems(record)
            if problems:
                bad.append(rejected_row(self.resource, record, "; ".join(problems)))
            else:
                good.append(transform(record) if transform else record)
        if good:
            yield good
        if bad:
            yield as_rejects(bad)


def rejects_resource() -> DltResource:
    """`_rejected_records` as a resource of its own, so the table is an asset like the others
    (`raw_<source>/_rejected_records`). It yields nothing itself: the rejects arrive from the
    other resources of the source, dispatched to this table with `as_rejects`."""

    def quarantine() -> Iterator[Any]:
        yield from ()

    return dlt.resource(quarantine, name=REJECTED_TABLE, write_disposition="append",
                        columns={name: dict(hint) for name, hint in REJECTED_COLUMNS.items()})


def rejected_row(resource: str, record: Any, reason: str) -> dict:
    return {
        "resource": resource,
        "record": json.dumps(record, default=str, sort_keys=True),
        "reason": reason,
        "rejected_at": datetime.now(timezone.utc),
    }


def as_rejects(rows: list[dict]) -> Any:
    """Marks rows (from `rejected_row`) for `_rejected_records`, appended, whatever the
    resource's own write disposition and keys."""
    hints = dlt.mark.make_hints(
        table_name=REJECTED_TABLE, write_disposition="append",
        columns={name: dict(hint) for name, hint in REJECTED_COLUMNS.items()}, primary_key=(), merge_key=(),
    )
    return dlt.mark.with_hints(rows, hints, create_table_variant=True)
