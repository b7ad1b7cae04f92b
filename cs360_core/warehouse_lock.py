"""Waiting for the warehouse when another process holds it.

DuckDB lets one process write a file, and a process reading it keeps writers out too. A
run first checks that it can open the warehouse for writing; while another process holds
it, the run waits with backoff, then stops with DuckDB's own message, which names the
holder (its program and PID), instead of failing halfway through a step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb

DEFAULT_WAITS = (1.0, 2.0, 4.0, 8.0, 15.0)  # about half a minute in all


class WarehouseLocked(RuntimeError):
    """Another process kept the warehouse locked through every wait."""


def open_with_backoff(path: Path, *, read_only: bool = False, waits: tuple[float, ...] = DEFAULT_WAITS,
                      log: Callable[[str], None] = print,
                      sleep: Callable[[float], None] = time.sleep) -> duckdb.DuckDBPyConnection:
    for wait in (*waits, None):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if wait is None:
                raise WarehouseLocked(
                    f"{path.name} is still locked after waiting {sum(waits):g} s; {error}. Readers should open "
                    "the published copy (published/cs360.duckdb) instead.") from None
            log(f"{path.name} is locked by another process; retrying in {wait:g} s")
            sleep(wait)
    raise AssertionError("unreachable")


def wait_for_warehouse(path: Path, **kwargs) -> None:
    """Returns once the warehouse can be opened for writing (at once when it does not exist yet)."""
    if not path.exists():
        return
    try:
        open_with_backoff(path, read_only=False, **kwargs).close()
    except duckdb.ConnectionException:
        pass  # this process has it open already (another configuration): no other process holds it
