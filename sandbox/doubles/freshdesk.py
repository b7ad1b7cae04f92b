"""Freshdesk API v2 double, seeded from a world's tickets with system = freshdesk.

  GET /api/v2/tickets   `updated_since` (ISO-8601; without it only tickets created in the
                        30 days before the world's as_of, as Freshdesk lists by default),
                        `include=stats,requester,description`, `order_by` (created_at, due_by,
                        updated_at, status), `order_type` (asc / desc, default desc), `email`,
                        `requester_id`, `page`, `per_page` (1–100, default 30; else 400),
                        `filter` (new_and_my_open, watching, spam, deleted; else 400).
                        A JSON list; `Link: <…>; rel="next"` while more pages follow.
                        Deleted tickets are listed only with `filter=deleted` (which takes
                        `updated_since` and the 30-day default as well).
  GET /api/v2/tickets/{id}
  GET /api/v2/surveys/satisfaction_ratings   `created_since`, `user_id`, `page`, `per_page`
Priority 1 low, 2 medium, 3 high, 4 urgent; status 2 open, 3 pending, 4 resolved, 5 closed.
CSAT maps to the classic survey's default question: good 103, bad -103.
Auth: Basic `api_key:X` on every request, else 401 invalid_credentials. Every answer carries
X-RateLimit-Total / -Remaining / -Used-CurrentRequest (an include costs 2 more credits).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock, JsonApp, RequestLog, basic_credentials, iso_z, json_response, parse_instant, person_name,
    retry_after_header, same_secret, stable_int,
)
from sandbox.doubles.helpdesk_world import Ticket, find_ticket, load_helpdesk

PRIORITY = {"low": 1, "normal": 2, "medium": 2, "high": 3, "urgent": 4}
STATUS = {"new": 2, "open": 2, "pending": 3, "hold": 3, "on-hold": 3, "solved": 4, "resolved": 4, "closed": 5}
FIRST_RESPONSE_HOURS = {1: 12, 2: 8, 3: 4, 4: 1}  # the default SLA policy, by priority
RESOLUTION_HOURS = {1: 48, 2: 24, 3: 8, 4: 4}
CSAT_RATING = {"good": 103, "bad": -103}
INCLUDES = ("requester", "stats", "company", "description")
ORDER_FIELDS = ("created_at", "due_by", "updated_at", "status")
FILTERS = ("new_and_my_open", "watching", "spam", "deleted")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
RATE_LIMIT_PER_MINUTE = 700
DEFAULT_WINDOW = timedelta(days=30)


class Invalid(Exception):
    """400 Validation failed, with Freshdesk's per-field errors."""

    def __init__(self, field: str, message: str, code: str = "invalid_value"):
        super().__init__(message)
        self.errors = [{"field": field, "message": message, "code": code}]


class FreshdeskDouble(JsonApp):
    vendor = "freshdesk"

    def __init__(self, world_dir: Path, api_key: str, log: RequestLog | None = None,
                 max_pages: int | None = None):
        super().__init__(api_key, log)
        desk = load_helpdesk(world_dir, "freshdesk")
        self.as_of_end = desk.as_of_end
        self.clock = Clock(floor=desk.as_of_end)
        self.tickets: dict[int, Ticket] = {t.id: t for t in desk.tickets}
        self.by_world_id = {t.world_id: t for t in desk.tickets}
        self.deleted: set[int] = set()  # ticket ids in the trash
        self.max_pages = max_pages  # a page cap, for callers that must window with updated_since
        self._window_start, self._window_used = time.monotonic(), 0
        self._rate_lock = threading.Lock()
        self.url_map = Map([
            Rule("/api/v2/tickets", endpoint="list_tickets", methods=["GET"]),
            Rule("/api/v2/tickets/<int:ticket_id>", endpoint="one_ticket", methods=["GET"]),
            Rule("/api/v2/surveys/satisfaction_ratings", endpoint="list_ratings", methods=["GET"]),
        ], strict_slashes=False)

    # --- plumbing -----------------------------------------------------------------------

    def authorized(self, request):
        given = basic_credentials(request)
        return given is not None and same_secret(given[0], self.token)

    def unauthorized(self, request):
        return json_response({"code": "invalid_credentials",
                              "message": "You have to be logged in to perform this action."}, 401)

    def not_found(self, request):
        return json_response({"code": "invalid_url", "message": f"No such route {request.path}"}, 404)

    def method_not_allowed(self, request):
        return json_response({"code": "method_not_allowed",
                              "message": f"{request.method} method is not allowed."}, 405)

    def rate_limited(self, request, fault):
        headers = retry_after_header(fault) or {"Retry-After": "1"}  # Freshdesk always says when
        headers["X-RateLimit-Remaining"] = "0"
        return json_response({"code": "rate_limit_exceeded",
                              "message": "You have exceeded the limit of requests per minute."}, 429, headers)

    def server_failure(self, request, fault):
        return json_response({"code": "internal_error", "message": "We're sorry, something went wrong."},
                             fault.status or 500)

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except Invalid as exc:
            return json_response({"description": "Validation failed", "errors": exc.errors}, 400)

    def finish(self, request, response):
        includes = [i for i in request.args.get("include", "").split(",") if i.strip()]
        cost = 1 + 2 * len(includes)
        with self._rate_lock:
            if time.monotonic() - self._window_start >= 60:
                self._window_start, self._window_used = time.monotonic(), 0
            self._window_used += cost
            remaining = max(0, RATE_LIMIT_PER_MINUTE - self._window_used)
        response.headers["X-RateLimit-Total"] = str(RATE_LIMIT_PER_MINUTE)
        response.headers.setdefault("X-RateLimit-Remaining", str(remaining))
        response.headers["X-RateLimit-Used-CurrentRequest"] = str(cost)
        return response

    # --- records ------------------------------------------------------------------------

    @staticmethod
    def requester_id(email: str | None) -> int | None:
        return 43_000_000_000 + stable_int("freshdesk-contact", email.lower()) % 10**9 if email else None

    def _due(self, t: Ticket) -> tuple[datetime, datetime]:
        priority = PRIORITY.get(t.priority or "", 2)
        return (t.created_at + timedelta(hours=FIRST_RESPONSE_HOURS[priority]),
                t.created_at + timedelta(hours=RESOLUTION_HOURS[priority]))

    def _ticket(self, t: Ticket, includes: set[str]) -> dict:
        status = STATUS.get(t.status or "", 2)
        fr_due, due = self._due(t)
        resolved = t.solved_at if status in (4, 5) else None
        body = {
            "id": t.id, "subject": t.subject, "priority": PRIORITY.get(t.priority or "", 2), "status": status,
            "source": 1, "type": None, "requester_id": self.requester_id(t.requester_email),
            "responder_id": None, "company_id": None, "group_id": None, "product_id": None,
            "email_config_id": None, "spam": False, "tags": [], "cc_emails": [], "fwd_emails": [],
            "reply_cc_emails": [], "ticket_cc_emails": [], "to_emails": None, "custom_fields": {},
            "fr_escalated": (t.first_response_at or self.as_of_end) > fr_due,
            "is_escalated": (resolved or self.as_of_end) > due,
            "fr_due_by": iso_z(fr_due), "due_by": iso_z(due),
            "created_at": iso_z(t.created_at), "updated_at": iso_z(t.updated_at),
            "deleted": t.id in self.deleted,
        }
        if "description" in includes:
            body["description"] = f"<div>{t.subject or ''}</div>"
            body["description_text"] = t.subject or ""
        if "stats" in includes:
            body["stats"] = {
                "agent_responded_at": iso_z(t.first_response_at), "requester_responded_at": None,
                "first_responded_at": iso_z(t.first_response_at),
                "status_updated_at": iso_z(t.solved_at or t.first_response_at or t.created_at),
                "reopened_at": None, "resolved_at": iso_z(resolved),
                "closed_at": iso_z(t.solved_at) if status == 5 else None,
                "pending_since": iso_z(t.first_response_at or t.created_at) if status == 3 else None,
            }
        if "requester" in includes:
            email = (t.requester_email or "").lower() or None
            first, last = person_name(email) if email else ("", "")
            body["requester"] = {"id": self.requester_id(email), "name": f"{first} {last}".strip() or None,
                                 "email": email, "mobile": None, "phone": None}
        if "company" in includes:
            body["company"] = {}
        return body

    def _rating(self, t: Ticket) -> dict:
        return {"id": 81_000_000_000 + stable_int("freshdesk-rating", t.id) % 10**9, "survey_id": 1,
                "user_id": self.requester_id(t.requester_email), "agent_id": None, "group_id": None,
                "feedback": None, "ticket_id": t.id, "ratings": {"default_question": CSAT_RATING[t.csat]},
                "created_at": iso_z(t.rated_at), "updated_at": iso_z(t.rated_at)}

    # --- endpoints ----------------------------------------------------------------------

    def list_tickets(self, request):
        args = request.args
        includes = _includes(args)
        chosen = args.get("filter")
        if chosen and chosen not in FILTERS:
            raise Invalid("filter", f"It should be one of these values: '{','.join(FILTERS)}'")
        trash = chosen == "deleted"
        rows = [t for t in self.tickets.values() if (t.id in self.deleted) == trash]
        if args.get("updated_since"):
            since = _instant(args, "updated_since")
            rows = [t for t in rows if t.updated_at >= since]
        else:
            rows = [t for t in rows if t.created_at >= self.as_of_end - DEFAULT_WINDOW]
        if args.get("email"):
            rows = [t for t in rows if (t.requester_email or "").lower() == args["email"].lower()]
        if args.get("requester_id"):
            rows = [t for t in rows if str(self.requester_id(t.requester_email)) == args["requester_id"]]
        order_by = args.get("order_by", "created_at")
        if order_by not in ORDER_FIELDS:
            raise Invalid("order_by", f"It should be one of these values: '{','.join(ORDER_FIELDS)}'")
        order_type = args.get("order_type", "desc")
        if order_type not in ("asc", "desc"):
            raise Invalid("order_type", "It should be one of these values: 'asc,desc'")

        def key(t: Ticket):
            value = {"created_at": t.created_at, "updated_at": t.updated_at, "due_by": self._due(t)[1],
                     "status": STATUS.get(t.status or "", 2)}[order_by]
            return (value, t.id)

        rows.sort(key=key, reverse=order_type == "desc")
        return self._page(request, rows, lambda t: self._ticket(t, includes))

    def one_ticket(self, request, ticket_id):
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return json_response({"code": "access_denied", "message": "Record not found"}, 404)
        return json_response(self._ticket(ticket, _includes(request.args)))

    def list_ratings(self, request):
        args = request.args
        rows = [t for t in self.tickets.values() if t.csat]
        if args.get("created_since"):
            since = _instant(args, "created_since")
            rows = [t for t in rows if t.rated_at >= since]
        if args.get("user_id"):
            rows = [t for t in rows if str(self.requester_id(t.requester_email)) == args["user_id"]]
        rows.sort(key=lambda t: (t.rated_at, t.id))
        return self._page(request, rows, self._rating)

    def _page(self, request, rows: list, public):
        args = request.args
        per_page = _positive(args, "per_page", DEFAULT_PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise Invalid("per_page", f"It should be a Positive Integer less than or equal to {MAX_PER_PAGE}")
        page = _positive(args, "page", 1)
        if self.max_pages is not None and page > self.max_pages:
            raise Invalid("page", f"It should be a Positive Integer less than or equal to {self.max_pages}")
        chunk = rows[(page - 1) * per_page:page * per_page]
        headers = {}
        more = page * per_page < len(rows) and (self.max_pages is None or page < self.max_pages)
        if more:
            query = [(k, v) for k, v in args.items(multi=True) if k != "page"] + [("page", page + 1)]
            headers["Link"] = f'<{request.base_url}?{urlencode(query)}>; rel="next"'
        return json_response([public(r) for r in chunk], 200, headers)

    # --- state, also used by tests ------------------------------------------------------

    def ticket(self, ticket_id) -> Ticket:
        """A ticket by Freshdesk id or world ticket_id."""
        return find_ticket(self.tickets, self.by_world_id, ticket_id, "Freshdesk")

    def touch(self, ticket_id, *, status: str | None = None, priority: str | None = None,
              subject: str | None = None, csat: str | None = None) -> dict:
        """Change a ticket as an agent would (world vocabulary: solved, high, good...); it gets
        a later updated_at than anything seeded."""
        with self.lock:
            ticket = self.ticket(ticket_id)
            now = self.clock.now()
            if status is not None:
                ticket.status = status
                if STATUS.get(status, 2) >= 4 and ticket.solved_at is None:
                    ticket.solved_at = now
            if priority is not None:
                ticket.priority = priority
            if subject is not None:
                ticket.subject = subject
            if csat is not None:
                ticket.csat, ticket.rated_at = csat, now
            ticket.updated_at = now
            return self._ticket(ticket, set(INCLUDES))


    def delete(self, ticket_id) -> dict:
        """Move a ticket to the trash, as an agent would; it gets a later updated_at."""
        with self.lock:
            ticket = self.ticket(ticket_id)
            self.deleted.add(ticket.id)
            ticket.updated_at = self.clock.now()
            return self._ticket(ticket, set(INCLUDES))

    def ticket_records(self) -> list[dict]:
        """The tickets as the API serves them with every include, by id."""
        with self.lock:
            return [self._ticket(t, set(INCLUDES)) for t in sorted(self.tickets.values(), key=lambda t: t.id)]


def _includes(args) -> set[str]:
    includes = {i.strip() for i in args.get("include", "").split(",") if i.strip()}
    if includes - set(INCLUDES):
        raise Invalid("include", f"It should be one/a comma separated list of: '{','.join(INCLUDES)}'")
    return includes


def _positive(args, name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Invalid(name, "It should be a Positive Integer", "datatype_mismatch")
    return int(raw)


def _instant(args, name: str) -> datetime:
    try:
        moment = parse_instant(args[name])
    except ValueError:
        moment = None
    if moment is None:
        raise Invalid(name, "It should be in the 'valid date time' format", "invalid_value")
    return moment
