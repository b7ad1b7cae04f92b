"""Which local services this machine runs, for tests that skip with a reason without them."""

from __future__ import annotations

import socket


def postgres_listening(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
