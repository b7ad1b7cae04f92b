"""Who may open the pages: loopback by default, a token from the environment otherwise.

`CS360_WEB_TOKEN`, read when the server starts, turns access control on: every request
must carry it, as `Authorization: Bearer <token>` (scripts, BI tools) or as the password
of HTTP Basic auth with any user name (a browser asks for it once). Without it the server
binds only to a loopback address, where the machine's own users are the audience.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import os

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_ENV = "CS360_WEB_TOKEN"
MIN_TOKEN_LENGTH = 16


class AccessNotConfigured(RuntimeError):
    """A non-loopback bind without access control, or an unusable token."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False


def token_from_env() -> str | None:
    token = os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise AccessNotConfigured(f"{TOKEN_ENV} is shorter than {MIN_TOKEN_LENGTH} characters; use a long random "
                                  "value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
    return token


def check_bind(host: str, token: str | None) -> None:
    if token is None and not is_loopback(host):
        raise AccessNotConfigured(
            f"refusing to serve on {host}: only loopback addresses are served without access control; "
            f"set {TOKEN_ENV} (bearer token, or the password of HTTP Basic auth) to serve on another address")


class TokenAuth:
    """ASGI middleware: 401 with a Basic challenge unless the request carries the token."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(dict(scope["headers"]).get(b"authorization", b"")):
            response = PlainTextResponse("authentication required", status_code=401,
                                         headers={"WWW-Authenticate": 'Basic realm="cs360", charset="UTF-8"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        scheme = scheme.lower()
        if scheme == b"bearer":
            return hmac.compare_digest(value.strip(), self._token)
        if scheme == b"basic":
            try:
                _, _, password = base64.b64decode(value.strip(), validate=True).partition(b":")
            except ValueError:
                return False
            return hmac.compare_digest(password, self._token)
        return False
