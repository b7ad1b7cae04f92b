"""Incremental cursors kept in dlt's resource state.

Each API resource remembers the newest change it has loaded (an `updated_at`, a vendor's
opaque cursor) in `dlt.current.resource_state()`. dlt commits that state together with the
load package that carries the rows, so a run that fails before its package is loaded
leaves the cursor where it was and the next run asks for the same changes again; merges on
the primary key make that repeat harmless.

Timestamps are compared as instants (vendors mix `Z`, offsets and milliseconds) and sent
back floored to the second: asking for a little more than needed is safe, asking for less
would lose changes made within the same second.

The cursor never moves past a change that may not have been read:
- a stamp beyond now plus the allowed clock skew is not believed (the record is quarantined
  by its `change_stamp` check; a stored cursor that far ahead is dropped and read again);
- a listing that is not ordered by the cursor field (page by page in id order) may miss a
  record changed behind its read position while it runs, so such a listing holds the
  cursor at the moment it started (`hold_at(listing_started(first_response))`).
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import dlt
from requests import Response

from pipelines.validation import latest_believable, parse_timestamp

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# without a server Date header, our clock minus this stands in for the vendor's
CLOCK_MARGIN = timedelta(minutes=5)


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
        if stored is not None and stored > latest_believable():
            log.warning("the stored %s cursor lies in the future: reading again from %s", field, iso_seconds(initial))
            stored = None
        self.since: datetime = stored or initial
        self.newest: datetime = self.since
        self.first_run = stored is None
        self.ceiling: datetime | None = None

    @property
    def since_text(self) -> str:
        return iso_seconds(self.since)

    @property
    def since_epoch(self) -> int:
        return int(self.since.timestamp())

    def observe(self, records: Iterable[Mapping[str, Any]]) -> None:
        believable = latest_believable()
        for record in records:
            moment = parse_timestamp(_get(record, self.field))
            if moment is not None and self.newest < moment <= believable:
                self.newest = moment
        self._commit()

    def hold_at(self, moment: datetime) -> None:
        """Never move the cursor past `moment` in this run (a change after it may be unread)."""
        self.ceiling = moment if self.ceiling is None else min(self.ceiling, moment)
        self._commit()

    @property
    def safe(self) -> datetime:
        """The newest change loaded, held at the ceiling when there is one."""
        return self.newest if self.ceiling is None else min(self.newest, self.ceiling)

    def _commit(self) -> None:
        if self.safe != self.since or self.first_run:
            self.state[self.key] = self.safe.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def listing_started(response: Response | None) -> datetime:
    """When a listing began, by the vendor's clock (the first response's `Date` header),
    else by ours less a margin for the skew between the two."""
    header = response.headers.get("Date") if response is not None else None
    if header:
        try:
            return email.utils.parsedate_to_datetime(header).astimezone(timezone.utc)
        except (TypeError, ValueError, IndexError):
            pass
    return datetime.now(timezone.utc) - CLOCK_MARGIN


def _get(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value
