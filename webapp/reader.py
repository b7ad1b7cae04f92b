"""Read-only connections to the published copy, reopened when a run publishes a new one.

One connection per published file (known by its inode); each request runs on a cursor of
it, so requests in the server's threads never share a cursor. The pipeline replaces the
file, never writes into it, so a request that started on the old copy finishes on it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb


class NotPublished(RuntimeError):
    """No run has published the marts yet."""


class PublishedMarts:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._inode: int | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise NotPublished(f"no published marts at {self.path} yet: run `cs360 run` first") from None
        with self._lock:
            if inode != self._inode or self._con is None:
                # A database of its own, not duckdb.connect(path): DuckDB hands out one shared
                # database per path while any connection to it is open, which would keep us on
                # the replaced copy. Cursors still reading the old copy keep it alive.
                self._con = duckdb.connect(":memory:")
                self._con.execute(f"attach '{str(self.path).replace(chr(39), chr(39) * 2)}' as published (read_only)")
                self._inode = inode
            cursor = self._con.cursor()
        cursor.execute("use published")  # the catalog is chosen per connection, and a cursor is one
        return cursor

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._inode = None, None
