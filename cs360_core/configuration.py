"""Settings read from the environment when a run starts, and the errors that say why not.

A system whose variables are absent raises `SourceNotConfigured` with one line naming the
variables to set: its steps are skipped, not failed. A base URL that would carry
credentials in clear text (`http://` off the loopback interface) raises
`InsecureEndpoint`, which fails the step instead of skipping it.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit


class SourceNotConfigured(RuntimeError):
    """The environment does not name this source's endpoint; it is skipped, not failed."""


class InsecureEndpoint(ValueError):
    """A base URL that would send credentials in clear text (or is no http(s) URL at all)."""


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, name: str = "base URL") -> str:
    """`url` when it is https://, or http:// on the loopback interface; else InsecureEndpoint.
    The message names the host only, never the path or any user info."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host and _loopback(host):
        return url
    if parts.scheme == "http" and host:
        raise InsecureEndpoint(f"{name} uses http:// for {host}: credentials would travel in clear text; "
                               "use https:// (plain http is accepted only on 127.0.0.0/8, ::1 and localhost)")
    raise InsecureEndpoint(f"{name} must be an https:// URL, got scheme {parts.scheme or 'none'!r}")


def env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def required(system: str, source: str, *names: str) -> list[str]:
    """The values of `names`, or SourceNotConfigured naming the ones that are missing."""
    values = [env(name) for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        names_text = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        verb = "is" if len(missing) == 1 else "are"
        raise SourceNotConfigured(f"{source}: {names_text} {verb} not set, skipping {system}")
    return values  # type: ignore[return-value]
