"""Paging helpers shared by the doubles: opaque cursors and lazily sorted record views."""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from typing import Generic, TypeVar
from collections.abc import Callable, Iterable

T = TypeVar("T")


def encode_cursor(*parts: object) -> str:
    """An opaque cursor, as vendors hand out: base64 of the position."""
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    """The `count` parts of a cursor; ValueError when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"invalid cursor {cursor!r}") from None
    parts = text.split("|")
    if len(parts) != count:
        raise ValueError(f"invalid cursor {cursor!r}")
    return parts


class SortedView(Generic[T]):
    """Records in key order, re-sorted only after `invalidate()` (a record changed)."""

    def __init__(self, records: Callable[[], Iterable[T]], key: Callable[[T], tuple]):
        self._records, self._key = records, key
        self._items: list[T] | None = None
        self._keys: list[tuple] = []

    def invalidate(self) -> None:
        self._items = None

    def items(self) -> list[T]:
        if self._items is None:
            self._items = sorted(self._records(), key=self._key)
            self._keys = [self._key(i) for i in self._items]
        return self._items

    def after(self, position: tuple) -> list[T]:
        """Every record whose key sorts strictly after `position`."""
        items = self.items()
        return items[bisect_right(self._keys, position):]
