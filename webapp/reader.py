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
                # A connection to the replaced copy is dropped here; cursors still reading it keep it alive.
                self._con = duckdb.connect(str(self.path), read_only=True)
                self._inode = inode
            return self._con.cursor()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._inode = None, None
