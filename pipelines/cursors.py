"""Incremental cursors kept in dlt's resource state.

Each API resource remembers the newest change it has loaded (an `updated_at`, a vendor's
opaque cursor) in `dlt.current.resource_state()`. dlt commits that state together with the
load package that carries the rows, so a run that fails before its package is loaded
leaves the cursor where it was and the next run asks for the same changes again; merges on
the primary key make that repeat harmless.

Timestamps are compared as instants (vendors mix `Z`, offsets and milliseconds) and sent
back floored to the second: asking for a little more than needed is safe, asking for less
would lose changes made within the same second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import dlt

from pipelines.validation import parse_timestamp

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso_seconds(moment: datetime) -> str:
    """`2026-10-31T12:00:00Z`: the form every vendor here accepts for `updated_since`."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class UpdatedSince:
    """The newest value of `field` among the records loaded so far, in the resource's state.

        cursor = UpdatedSince("updated_at")
        params = {"updated_since": cursor.since_text}
        for page in client.paginate(...):
            good = ...
            cursor.observe(good)      # advances the state as pages arrive
    """

    def __init__(self, field: str, initial: datetime = EPOCH, state_key: str = "updated_since"):
        self.field = field
        self.state = dlt.current.resource_state()
        self.key = state_key
        stored = parse_timestamp(self.state.get(state_key))
        self.since: datetime = stored or initial
        self.newest: datetime = self.since
        self.first_run = stored is None

    @property
    def since_text(self) -> str:
        return iso_seconds(self.since)

    @property
    def since_epoch(self) -> int:
        return int(self.since.timestamp())

    def observe(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            moment = parse_timestamp(_get(record, self.field))
            if moment is not None and moment > self.newest:
                self.newest = moment
        if self.newest > self.since or self.first_run:
            self.state[self.key] = self.newest.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _get(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value
