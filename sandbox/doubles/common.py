"""A small WSGI toolkit shared by the vendor doubles.

Each double is a `JsonApp`: werkzeug routing, one lock around every request (the doubles
keep their state in plain dicts and are served by a threaded server), an auth check on
every request (bearer token unless the double says otherwise), the faults of a shared
`FaultPlan`, and a `RequestLog` entry per request so tests can see what the pipeline sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import date, datetime, time as day_time, timedelta, timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from sandbox.doubles.faults import DELAYS, Fault, FaultPlan, break_record
from sandbox.world.format import read_meta


class RequestLog:
    """Thread-safe list of the requests the doubles served.

    Each entry: vendor, method, path, query (raw query string), body (parsed JSON, CSV
    text, or None for anything else: form and XML bodies may carry passwords), status, and
    `faults` (the kinds injected) when a fault fired. Headers are never recorded, so tokens
    cannot leak into it. With a `path`, entries are also appended to that file as JSON lines.
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


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def logged_body(request: Request) -> Any:
    """What the request log keeps of a body: JSON parsed, CSV as text, nothing else."""
    if request.mimetype == "application/json":
        return json_body(request)
    if request.mimetype == "text/csv":
        return request.get_data(cache=True).decode("utf-8", "replace")
    return None


class JsonApp:
    """Base WSGI app: subclasses set `vendor`, build `self.url_map` (rules whose endpoint
    is a method name) and implement `unauthorized()`; `public_endpoints` skip auth.

    `faults` (a FaultPlan, usually the Sandbox's) is consulted on every request: delays
    sleep outside the lock, `fault_response()` may answer instead of the endpoint, the
    record-level kinds reach handlers through `request_faults(request)`, and malformed
    faults rewrite one record of a JSON list response.
    """

    vendor = "vendor"
    public_endpoints: frozenset[str] = frozenset()

    def __init__(self, token: str, log: RequestLog | None = None, faults: FaultPlan | None = None):
        self.token = token
        self.log = log if log is not None else RequestLog()
        self.faults = faults
        self.lock = threading.RLock()
        self.url_map = Map([])

    # hooks for subclasses
    def authorized(self, request: Request) -> bool:
        return has_bearer(request, self.token)

    def unauthorized(self, request: Request) -> Response:
        return json_response({"error": "unauthorized"}, 401)

    def not_found(self, request: Request) -> Response:
        return json_response({"error": "not found"}, 404)

    def method_not_allowed(self, request: Request) -> Response:
        return json_response({"error": "method not allowed"}, 405)

    def rate_limited(self, request: Request, fault: Fault) -> Response:
        return json_response({"error": "rate limit exceeded"}, 429, retry_after_header(fault))

    def server_failure(self, request: Request, fault: Fault) -> Response:
        return json_response({"error": "internal server error"}, fault.status or 500)

    def fault_response(self, request: Request, fault: Fault) -> Response | None:
        """The answer a fault gives instead of the endpoint; None when handlers deal with it."""
        if fault.kind == "rate_limit":
            return self.rate_limited(request, fault)
        if fault.kind == "server_error":
            return self.server_failure(request, fault)
        return None

    def finish(self, request: Request, response: Response) -> Response:
        """Last touch on every response (e.g. Salesforce's limit header)."""
        return response

    def logged_path(self, path: str) -> str:
        """The path as the request log keeps it (a double whose URL holds a secret masks it)."""
        return path

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
        if endpoint not in self.public_endpoints and not self.authorized(request):
            return self.unauthorized(request)
        handler: Callable[..., Response] = getattr(self, endpoint)
        return handler(request, **args)

    def __call__(self, environ, start_response):
        request = Request(environ)
        path, fired = request.path, []
        if self.faults is not None:
            fired = self.faults.fire(self.vendor, request.method, path)
        environ["sandbox.faults"] = fired
        delay = sum(f.seconds for f in fired if f.kind in DELAYS)
        if delay:
            time.sleep(delay)  # outside the lock: other clients are not held up
        with self.lock:
            try:
                response = None
                for fault in fired:  # a throttle or an outage answers instead of the endpoint
                    response = self.fault_response(request, fault)
                    if response is not None:
                        break
                if response is None:
                    response = self.dispatch(request)
                for fault in fired:
                    if fault.kind == "malformed":
                        _break_response(response, fault)
                for fault in fired:  # the answer is final: now the world changes under the client
                    if fault.kind == "touch":
                        fault.action()
            except Exception as exc:  # a bug in a double must show up as a 500, not a hang
                logging.getLogger(__name__).exception("%s double failed on %s", self.vendor, path)
                response = json_response({"error": "internal error in the double", "detail": repr(exc)}, 500)
            response = self.finish(request, response)
        entry = {"vendor": self.vendor, "method": request.method, "path": self.logged_path(path),
                 "query": request.query_string.decode("latin-1"), "body": logged_body(request),
                 "status": response.status_code}
        if fired:
            entry["faults"] = [f.kind for f in fired]
        self.log.record(entry)
        return response(environ, start_response)


def request_faults(request: Request) -> list[Fault]:
    """The faults that fired on this request (for handlers of record-level faults)."""
    return request.environ.get("sandbox.faults", [])


def retry_after_header(fault: Fault) -> dict:
    if fault.retry_after is None:
        return {}
    if isinstance(fault.retry_after, str):  # sent as given, e.g. a malformed value a client must survive
        return {"Retry-After": fault.retry_after}
    seconds = fault.retry_after
    return {"Retry-After": str(int(seconds)) if float(seconds).is_integer() else str(seconds)}


def _break_response(response: Response, fault: Fault) -> None:
    if response.status_code >= 300 or response.mimetype != "application/json":
        return
    body = json.loads(response.get_data())
    if break_record(body, fault):
        fault.applied += 1
        response.set_data(json.dumps(body))


# --- values -----------------------------------------------------------------------------

def parse_instant(value: str | None) -> datetime | None:
    """A world timestamp or date (ISO-8601, UTC when no offset) as an aware datetime."""
    if value is None or value.strip() == "":
        return None
    moment = datetime.fromisoformat(value.strip())  # 3.11+: dates, "Z", space separator
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso_z(moment: datetime | None, millis: bool = False) -> str | None:
    """2025-09-30T15:03:10Z (or .123Z with millis), the JSON timestamps of most vendors."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if millis else "Z")


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_ms(moment: datetime) -> int:
    """Exact integer milliseconds since the epoch (float seconds would round)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def parse_day(value: str | None) -> date | None:
    moment = parse_instant(value)
    return moment.date() if moment else None


def world_end(world_dir: Path) -> datetime:
    """The last millisecond of a world's `as_of` day: no seeded stamp is later."""
    as_of = parse_day(str(read_meta(world_dir)["as_of"]))
    return datetime.combine(as_of, day_time(23, 59, 59, 999000), tzinfo=timezone.utc)


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
