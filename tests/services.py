"""Which local services this machine runs, for tests that skip with a reason without them."""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path


def postgres_listening(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def throwaway_postgres_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the local server (trust auth), dropped afterwards
    even while connections to it are open; yields its URL."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def default_signals() -> None:
    """`preexec_fn` for a child a test stops with SIGINT or SIGTERM: the default handling of
    both, whatever the test process inherited (a worker whose parent ignored or blocked them
    would pass that on through exec, and the child would never stop)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_to_bind_later() -> int:
    """A free port below the kernel's range of ephemeral ports, for a server started minutes
    after the port is chosen: a port from free_port() lies in that range, so any outgoing
    connection made meanwhile (the run's HTTP clients) may take it, and the server's bind
    then fails with 'address already in use'."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    below = range(10000, low) if low > 10000 else range(1024, low)
    for port in random.sample(below, k=min(200, len(below))):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()
