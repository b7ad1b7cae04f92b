"""What every CRM writer offers the sync engine, and the results it hands back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from reverse_etl.mapping import Destination
from reverse_etl.state import Change


@dataclass
class RecordResult:
    """The vendor's word on one record: written, or why not."""
    record_id: str
    ok: bool
    code: str | None = None
    message: str | None = None
    transient: bool = False

    @property
    def error(self) -> str | None:
        if self.ok:
            return None
        return f"{self.code}: {self.message}" if self.code else self.message


class BatchRejected(Exception):
    """The vendor refused a whole write request because of its content (a 400 that names
    no record): the engine splits the batch to find the records at fault."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RequestFailed(Exception):
    """A request failed for a reason no retry will fix (auth, a missing object, ...)."""


@dataclass
class SchemaCheck:
    """The destination side of mapping validation."""
    problems: list[str] = field(default_factory=list)
    to_create: list[str] = field(default_factory=list)   # what `prepare` would create
    field_types: dict[str, str] = field(default_factory=dict)


class Writer(Protocol):
    name: str
    method: str               # how record writes are sent, for the audit
    api_calls: int            # every HTTP request to the vendor, retries included
    write_calls: int          # the requests among them that write records

    def check(self, destination: Destination) -> SchemaCheck: ...
    def prepare(self, destination: Destination, check: SchemaCheck) -> list[str]: ...
    def write_batch(self, destination: Destination, changes: list[Change]) -> list[RecordResult]: ...


def chunked(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
