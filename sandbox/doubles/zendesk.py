"""Zendesk Support API double, seeded from a world's tickets with system = zendesk.

Serves, under /api/v2 (with or without `.json`):
  incremental/tickets/cursor  cursor-based incremental export: `start_time` (epoch
                              seconds) on the first call, then `cursor`; `per_page` (≤ 1000);
                              `include=users` side-loads the requesters. Answers `tickets`,
                              `after_cursor`, `after_url`, `before_cursor`, `before_url`,
                              `end_of_stream`; `after_cursor` is always given so the next
                              export resumes from it.
  ticket_metrics              cursor pagination (`page[size]` ≤ 100, `page[after]`, `meta`,
                              `links`) or, without page[size], offset pagination
  tickets/{id}/metrics        one ticket's metrics
  satisfaction_ratings        received ratings (good/bad), `score`, `start_time`, `end_time`,
                              cursor or offset pagination
Auth: Basic `{email}/token:{api_token}` on every request, else 401
{"error": "Couldn't authenticate you"}. Unlike the real export, tickets changed in the last
minute are not held back, so a test sees its own `touch()` at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule

from sandbox.doubles.common import (
    Clock, JsonApp, RequestLog, basic_credentials, epoch_ms, iso_z, json_response, person_name, retry_after_header,
    same_secret, stable_int,
)
from sandbox.doubles.helpdesk_world import Ticket, business_minutes, calendar_minutes, find_ticket, load_helpdesk
from sandbox.doubles.paging import SortedView, decode_cursor, encode_cursor

MAX_EXPORT_PAGE = 1000
MAX_PAGE = 100
STATUSES = {"new": "new", "open": "open", "pending": "pending", "hold": "hold", "on-hold": "hold",
            "solved": "solved", "resolved": "solved", "closed": "closed"}
PRIORITIES = {"low": "low", "normal": "normal", "medium": "normal", "high": "high", "urgent": "urgent"}
SCORE_FILTERS = {"received", "received_with_comment", "received_without_comment", "good", "good_with_comment",
                 "good_without_comment", "bad", "bad_with_comment", "bad_without_comment", "offered", "unoffered"}


def zd_error(status: int, error: str, description: str, headers: dict | None = None):
    return json_response({"error": error, "description": description}, status, headers)


class BadParameter(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error, self.description = error, description


class ZendeskDouble(JsonApp):
    vendor = "zendesk"

    def __init__(self, world_dir: Path, email: str, token: str, log: RequestLog | None = None,
                 export_page_size: int = MAX_EXPORT_PAGE):
        super().__init__(token, log)
        self.email = email
        desk = load_helpdesk(world_dir, "zendesk")
        self.clock = Clock(floor=desk.as_of_end)
        self.tickets: dict[int, Ticket] = {t.id: t for t in desk.tickets}
        self.by_world_id = {t.world_id: t for t in desk.tickets}
        self.users: dict[str, dict] = {}
        for ticket in desk.tickets:  # a requester becomes a user when they first write in
            self._user_for(ticket.requester_email, ticket.created_at)
        self.export_page_size = min(export_page_size, MAX_EXPORT_PAGE)
        self._changes = SortedView(lambda: self.tickets.values(), key=lambda t: (epoch_ms(t.updated_at), t.id))
        self._by_id = SortedView(lambda: self.tickets.values(), key=lambda t: (t.id,))
        self._rated = SortedView(lambda: (t for t in self.tickets.values() if t.csat), key=lambda t: (t.id,))
        v2 = "/api/v2"
        rules = []
        for path, endpoint in (("incremental/tickets/cursor", "export_tickets"),
                               ("ticket_metrics", "list_metrics"),
                               ("tickets/<int:ticket_id>/metrics", "one_metric"),
                               ("satisfaction_ratings", "list_ratings")):
            rules += [Rule(f"{v2}/{path}", endpoint=endpoint, methods=["GET"]),
                      Rule(f"{v2}/{path}.json", endpoint=endpoint, methods=["GET"])]
        self.url_map = Map(rules, strict_slashes=False)

    # --- plumbing -----------------------------------------------------------------------

    def authorized(self, request):
        given = basic_credentials(request)
        return given is not None and same_secret(given[0], f"{self.email}/token") and same_secret(given[1], self.token)

    def unauthorized(self, request):
        return json_response({"error": "Couldn't authenticate you"}, 401)

    def not_found(self, request):
        return zd_error(404, "InvalidEndpoint", "Not found")

    def method_not_allowed(self, request):
        return zd_error(405, "MethodNotAllowed", f"{request.method} is not allowed here")

    def rate_limited(self, request, fault):
        headers = retry_after_header(fault) or {"Retry-After": "1"}  # Zendesk always says when
        return zd_error(429, "APIRateLimitExceeded", "Number of allowed API requests per minute exceeded",
                        headers)

    def server_failure(self, request, fault):
        status = fault.status or 500
        if status == 503:
            return zd_error(503, "ServiceUnavailable", "Zendesk is temporarily unavailable", {"Retry-After": "1"})
        return zd_error(status, "InternalServerError", "Something went wrong on our side")

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except BadParameter as exc:
            return zd_error(400, exc.error, exc.description)

    # --- records ------------------------------------------------------------------------

    def _user_for(self, email: str | None, seen: datetime) -> dict | None:
        if not email:
            return None
        key = email.lower()
        user = self.users.get(key)
        if user is None:
            first, last = person_name(key)
            user = {"id": 360_000_000_000 + stable_int("zendesk-user", key) % 10**11,
                    "name": f"{first} {last}".strip() or key, "email": key, "role": "end-user",
                    "active": True, "verified": True, "organization_id": None, "time_zone": "UTC",
                    "created_at": seen, "updated_at": seen}
            self.users[key] = user
        return user

    @staticmethod
    def _public_user(user: dict, base: str) -> dict:
        return {**user, "url": f"{base}/api/v2/users/{user['id']}.json",
                "created_at": iso_z(user["created_at"]), "updated_at": iso_z(user["updated_at"])}

    def _rating_id(self, ticket: Ticket) -> int:
        return 1_000_000_000 + stable_int("zendesk-rating", ticket.id) % 10**9

    def _ticket(self, t: Ticket, base: str) -> dict:
        requester = self.users.get((t.requester_email or "").lower())
        status = STATUSES.get(t.status or "", "open")
        if t.csat:
            rating = {"id": self._rating_id(t), "score": t.csat, "comment": None, "reason": None}
        else:
            rating = {"score": "offered" if status in ("solved", "closed") else "unoffered"}
        return {
            "url": f"{base}/api/v2/tickets/{t.id}.json", "id": t.id, "external_id": None,
            "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso_z(t.created_at), "updated_at": iso_z(t.updated_at),
            "generated_timestamp": int(t.updated_at.timestamp()),
            "type": None, "subject": t.subject, "raw_subject": t.subject, "description": t.subject,
            "priority": PRIORITIES.get(t.priority or ""), "status": status, "recipient": None,
            "requester_id": requester["id"] if requester else None,
            "submitter_id": requester["id"] if requester else None, "assignee_id": None,
            "organization_id": None, "group_id": None, "collaborator_ids": [], "follower_ids": [],
            "email_cc_ids": [], "forum_topic_id": None, "problem_id": None, "has_incidents": False,
            "is_public": True, "due_at": None, "tags": [], "custom_fields": [], "fields": [],
            "satisfaction_rating": rating, "sharing_agreement_ids": [], "followup_ids": [],
            "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
        }

    def _metric(self, t: Ticket, base: str) -> dict:
        def pair(start, end):
            return {"calendar": calendar_minutes(start, end), "business": business_minutes(start, end)}

        metric_id = 2_000_000_000 + stable_int("zendesk-metric", t.id) % 10**9
        latest = max(m for m in (t.created_at, t.first_response_at, t.solved_at) if m is not None)
        return {
            "url": f"{base}/api/v2/ticket_metrics/{metric_id}.json", "id": metric_id, "ticket_id": t.id,
            "created_at": iso_z(t.created_at), "updated_at": iso_z(t.updated_at),
            "group_stations": 1, "assignee_stations": 1, "reopens": 0,
            "replies": 1 if t.first_response_at else 0,
            "assignee_updated_at": iso_z(t.first_response_at), "requester_updated_at": iso_z(t.created_at),
            "status_updated_at": iso_z(t.solved_at or t.first_response_at or t.created_at),
            "initially_assigned_at": iso_z(t.created_at), "assigned_at": iso_z(t.created_at),
            "solved_at": iso_z(t.solved_at), "latest_comment_added_at": iso_z(latest),
            "reply_time_in_minutes": pair(t.created_at, t.first_response_at),
            "first_resolution_time_in_minutes": pair(t.created_at, t.solved_at),
            "full_resolution_time_in_minutes": pair(t.created_at, t.solved_at),
            "agent_wait_time_in_minutes": pair(t.created_at, t.first_response_at),
            "requester_wait_time_in_minutes": pair(t.created_at, t.solved_at),
            "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
        }

    def _rating(self, t: Ticket, base: str) -> dict:
        requester = self.users.get((t.requester_email or "").lower())
        rating_id = self._rating_id(t)
        return {"url": f"{base}/api/v2/satisfaction_ratings/{rating_id}.json", "id": rating_id,
                "assignee_id": None, "group_id": None, "requester_id": requester["id"] if requester else None,
                "ticket_id": t.id, "score": t.csat, "comment": None, "reason": None,
                "created_at": iso_z(t.rated_at), "updated_at": iso_z(t.rated_at)}

    # --- endpoints ----------------------------------------------------------------------

    def export_tickets(self, request):
        args, base = request.args, request.host_url.rstrip("/")
        per_page = _int_arg(args, "per_page", self.export_page_size, 1, self.export_page_size)
        if args.get("cursor"):
            try:
                stamp, _, ticket_id, _ = decode_cursor(args["cursor"], 4)
                position = (int(stamp), int(ticket_id))
            except ValueError:
                raise BadParameter("InvalidPaginationParameter", "cursor is invalid") from None
        elif args.get("start_time") is not None:
            start = args["start_time"]
            if not start.isdigit():
                raise BadParameter("InvalidValue", "start_time must be a Unix epoch time in seconds")
            if int(start) > (self.clock.now() - timedelta(minutes=1)).timestamp():
                raise BadParameter("InvalidValue", "Too recent start_time. Use a start_time older than 1 minute")
            position = (int(start) * 1000, -1)  # tickets changed at or after start_time
        else:
            raise BadParameter("InvalidValue", "start_time or cursor is required")
        remaining = self._changes.after(position)
        page = remaining[:per_page]
        last = (epoch_ms(page[-1].updated_at), page[-1].id) if page else position
        after = encode_cursor(last[0], "", last[1], "")  # shaped like Zendesk's "time||id|"
        before = encode_cursor(epoch_ms(page[0].updated_at), "", page[0].id, "") if page else None
        url = f"{base}/api/v2/incremental/tickets/cursor.json"
        include = {i.strip() for i in args.get("include", "").split(",") if i.strip()}
        body = {"tickets": [self._ticket(t, base) for t in page],
                "after_cursor": after, "after_url": f"{url}?{urlencode({'cursor': after})}",
                "before_cursor": before, "before_url": f"{url}?{urlencode({'cursor': before})}" if before else None,
                "end_of_stream": len(remaining) <= per_page}
        if "users" in include:
            emails = sorted({(t.requester_email or "").lower() for t in page} - {""})
            body["users"] = [self._public_user(self.users[e], base) for e in emails]
        return json_response(body)

    def list_metrics(self, request):
        base = request.host_url.rstrip("/")
        rows = self._by_id.items()
        return json_response(self._paged(request, "ticket_metrics", rows, lambda t: self._metric(t, base)))

    def one_metric(self, request, ticket_id):
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return zd_error(404, "RecordNotFound", "Not found")
        return json_response({"ticket_metric": self._metric(ticket, request.host_url.rstrip("/"))})

    def list_ratings(self, request):
        args, base = request.args, request.host_url.rstrip("/")
        score = args.get("score", "received")
        if score not in SCORE_FILTERS:
            raise BadParameter("InvalidValue", f"score must be one of {', '.join(sorted(SCORE_FILTERS))}")
        start = _epoch_arg(args, "start_time")
        end = _epoch_arg(args, "end_time")
        wanted = {"good", "bad"} if score.startswith("received") else {score.split("_")[0]}
        rows = [t for t in self._rated.items() if t.csat in wanted
                and (start is None or t.rated_at.timestamp() >= start)
                and (end is None or t.rated_at.timestamp() <= end)
                and not score.endswith("_with_comment")]  # world ratings carry no comment
        return json_response(self._paged(request, "satisfaction_ratings", rows, lambda t: self._rating(t, base)))

    def _paged(self, request, key: str, rows: list[Ticket], public) -> dict:
        """Cursor pagination with page[size], offset pagination without it; rows by id."""
        args = request.args
        base_url = request.base_url
        kept = [(k, v) for k, v in args.items(multi=True) if not k.startswith("page") and k != "per_page"]
        if "page[size]" in args:
            size = _int_arg(args, "page[size]", MAX_PAGE, 1, MAX_PAGE, error="InvalidPaginationParameter")
            start = 0
            if args.get("page[after]"):
                try:
                    after_id = int(decode_cursor(args["page[after]"], 1)[0])
                except ValueError:
                    raise BadParameter("InvalidPaginationParameter", "page[after] is invalid") from None
                start = next((i for i, r in enumerate(rows) if r.id > after_id), len(rows))
            page = rows[start:start + size]
            has_more = start + size < len(rows)
            after = encode_cursor(page[-1].id) if page else None
            before = encode_cursor(page[0].id) if page else None
            next_link = (f"{base_url}?{urlencode(kept + [('page[size]', size), ('page[after]', after)])}"
                         if has_more else None)
            prev_link = (f"{base_url}?{urlencode(kept + [('page[size]', size), ('page[before]', before)])}"
                         if before and start > 0 else None)
            return {key: [public(r) for r in page],
                    "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
                    "links": {"next": next_link, "prev": prev_link}}
        per_page = _int_arg(args, "per_page", MAX_PAGE, 1, MAX_PAGE)
        number = _int_arg(args, "page", 1, 1, 10**6)
        page = rows[(number - 1) * per_page:number * per_page]

        def link(n):
            return f"{base_url}?{urlencode(kept + [('page', n), ('per_page', per_page)])}"

        return {key: [public(r) for r in page],
                "next_page": link(number + 1) if number * per_page < len(rows) else None,
                "previous_page": link(number - 1) if number > 1 else None, "count": len(rows)}

    # --- state, also used by tests ------------------------------------------------------

    def ticket(self, ticket_id) -> Ticket:
        """A ticket by Zendesk id or world ticket_id."""
        return find_ticket(self.tickets, self.by_world_id, ticket_id, "Zendesk")

    def touch(self, ticket_id, *, status: str | None = None, priority: str | None = None,
              subject: str | None = None, csat: str | None = None) -> dict:
        """Change a ticket as an agent would; it gets a later updated_at than anything seeded."""
        with self.lock:
            ticket = self.ticket(ticket_id)
            now = self.clock.now()
            if status is not None:
                ticket.status = status
                if STATUSES.get(status) in ("solved", "closed") and ticket.solved_at is None:
                    ticket.solved_at = now
            if priority is not None:
                ticket.priority = priority
            if subject is not None:
                ticket.subject = subject
            if csat is not None:
                ticket.csat, ticket.rated_at = csat, now
            ticket.updated_at = now
            for view in (self._changes, self._by_id, self._rated):
                view.invalidate()
            return self._ticket(ticket, "")

    def ticket_records(self) -> list[dict]:
        """The tickets as the API serves them (urls relative), by id."""
        with self.lock:
            return [self._ticket(t, "") for t in self._by_id.items()]


def _int_arg(args, name: str, default: int, low: int, high: int, error: str = "InvalidValue") -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(error, f"{name} must be an integer between {low} and {high}")
    return int(raw)


def _epoch_arg(args, name: str) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise BadParameter("InvalidValue", f"{name} must be a Unix epoch time in seconds")
    return int(raw)
