"""A small WSGI toolkit shared by the vendor doubles.

Each double is a `JsonApp`: werkzeug routing, one lock around every request (the doubles
keep their state in plain dicts and are served by a threaded server), a bearer-token
check, and a `RequestLog` entry per request so tests can see what the pipeline sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response


class RequestLog:
    """Thread-safe list of the requests the doubles served.

    Each entry: vendor, method, path, query (raw query string), body (parsed JSON or
    None), status. Headers are never recorded, so tokens cannot leak into it. With a
    `path`, entries are also appended to that file as JSON lines.
    """

    def __init__(self, path: Path | None = None):
        self._entries: list[dict] = []
        self._lock = threading.Lock()
        self._path = Path(path) if path else None

    def record(self, entry: dict) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._path:
                with self._path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, default=str) + "\n")

    def entries(self, vendor: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._entries if vendor is None or e["vendor"] == vendor]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class Clock:
    """Strictly increasing UTC clock that never runs behind the seeded data.

    A world's `as_of` may lie in the future of the machine's clock; a write must still
    get a modification stamp later than every seeded one, or incremental extraction
    (`SystemModstamp > last`) would miss it.
    """

    def __init__(self, floor: datetime | None = None):
        self._last = floor or datetime(1970, 1, 1, tzinfo=timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            real = datetime.now(timezone.utc)
            real = real.replace(microsecond=real.microsecond // 1000 * 1000)  # vendors stamp in ms
            self._last = max(real, self._last + timedelta(milliseconds=1))
            return self._last


# --- requests and responses -------------------------------------------------------------

def json_response(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {},
                    content_type="application/json;charset=UTF-8")


def json_body(request: Request) -> Any:
    """The request's JSON body, or None when absent or not JSON."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def has_bearer(request: Request, token: str) -> bool:
    given = bearer_token(request)
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class JsonApp:
    """Base WSGI app: subclasses set `vendor`, build `self.url_map` (rules whose endpoint
    is a method name) and implement `unauthorized()`; `public_endpoints` skip auth."""

    vendor = "vendor"
    public_endpoints: frozenset[str] = frozenset()

    def __init__(self, token: str, log: RequestLog | None = None):
        self.token = token
        self.log = log if log is not None else RequestLog()
        self.lock = threading.RLock()
        self.url_map = Map([])

    # hooks for subclasses
    def unauthorized(self, request: Request) -> Response:
        return json_response({"error": "unauthorized"}, 401)

    def not_found(self, request: Request) -> Response:
        return json_response({"error": "not found"}, 404)

    def method_not_allowed(self, request: Request) -> Response:
        return json_response({"error": "method not allowed"}, 405)

    def finish(self, request: Request, response: Response) -> Response:
        """Last touch on every response (e.g. Salesforce's limit header)."""
        return response

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return self.not_found(request)
        except MethodNotAllowed:
            return self.method_not_allowed(request)
        except HTTPException as exc:  # e.g. redirects for trailing slashes
            return exc.get_response(request.environ)
        if endpoint not in self.public_endpoints and not has_bearer(request, self.token):
            return self.unauthorized(request)
        handler: Callable[..., Response] = getattr(self, endpoint)
        return handler(request, **args)

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            try:
                response = self.dispatch(request)
            except Exception as exc:  # a bug in a double must show up as a 500, not a hang
                logging.getLogger(__name__).exception("%s double failed on %s", self.vendor, request.path)
                response = json_response({"error": "internal error in the double", "detail": repr(exc)}, 500)
            response = self.finish(request, response)
        body = json_body(request) if request.mimetype == "application/json" else None
        self.log.record({
            "vendor": self.vendor,
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "body": body,
            "status": response.status_code,
        })
        return response(environ, start_response)


# --- values -----------------------------------------------------------------------------

def parse_instant(value: str | None) -> datetime | None:
    """A world timestamp or date (ISO-8601, UTC when no offset) as an aware datetime."""
    if value is None or value.strip() == "":
        return None
    moment = datetime.fromisoformat(value.strip())  # 3.11+: dates, "Z", space separator
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_day(value: str | None) -> date | None:
    moment = parse_instant(value)
    return moment.date() if moment else None


def stable_int(*parts: object) -> int:
    """Deterministic 64-bit integer from the parts (ids must not change between runs)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def person_name(email: str) -> tuple[str, str]:
    """('Jane', 'Doe') from 'jane.doe@x.com'; the CRMs only need a plausible name."""
    local = email.split("@", 1)[0]
    bits = [b for b in local.replace("_", ".").replace("-", ".").split(".") if b]
    if not bits:
        return ("", local)
    if len(bits) == 1:
        return (bits[0].capitalize(), "")
    return (bits[0].capitalize(), " ".join(b.capitalize() for b in bits[1:]))
