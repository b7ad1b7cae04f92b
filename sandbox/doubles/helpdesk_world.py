"""What a help desk can know about a world: its tickets, their requesters and CSAT.

Zendesk and Freshdesk both seed from this view of `tickets.csv` (one system each). Times
the world does not carry are derived deterministically and never after the world's
`as_of` day: a CSAT rating arrives some hours after the ticket was solved, and a ticket's
`updated_at` is its latest event (created, first response, solved, rated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from sandbox.doubles.common import parse_instant, stable_int, world_end
from sandbox.world.format import read_table

MAX_VENDOR_ID = 2**53 - 1  # ids stay exact in JSON numbers


@dataclass
class Ticket:
    world_id: str
    id: int  # the help desk's numeric id
    requester_email: str | None
    subject: str | None
    priority: str | None  # world value: low / normal / high / urgent
    status: str | None  # world value: new / open / pending / hold / solved / closed
    created_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    csat: str | None  # good / bad
    rated_at: datetime | None
    updated_at: datetime

    def touch(self, moment: datetime) -> None:
        self.updated_at = max(self.updated_at, moment)


@dataclass
class Helpdesk:
    as_of_end: datetime
    tickets: list[Ticket]  # by creation time

    def clip(self, moment: datetime) -> datetime:
        return min(moment, self.as_of_end)


def find_ticket(tickets: dict[int, Ticket], by_world_id: dict[str, Ticket], ticket_id, vendor: str) -> Ticket:
    """A ticket by the vendor's numeric id (int or digits) or by the world's ticket_id."""
    found = tickets.get(ticket_id) if isinstance(ticket_id, int) else None
    found = found or by_world_id.get(str(ticket_id))
    if found is None and str(ticket_id).isdigit():
        found = tickets.get(int(ticket_id))
    if found is None:
        raise KeyError(f"no {vendor} ticket {ticket_id!r}")
    return found


def vendor_ids(world_ids: list[str], system: str) -> list[int]:
    """Numeric ticket ids: the world's own when numeric, else a stable number; never clashing."""
    taken: set[int] = set()
    out = []
    for world_id in world_ids:
        text = (world_id or "").strip()
        n = int(text) if text.isdigit() and 0 < int(text) <= MAX_VENDOR_ID else None
        while n is None or n in taken:
            n = 10_000_000 + stable_int(system, "ticket", world_id, n) % 90_000_000
        taken.add(n)
        out.append(n)
    return out


def load_helpdesk(world_dir: Path, system: str) -> Helpdesk:
    as_of_end = world_end(world_dir)
    frame = read_table(world_dir, "tickets")
    rows = [r for r in frame.to_dict("records") if (r["system"] or "").strip().lower() == system]
    ids = vendor_ids([r["ticket_id"] for r in rows], system)
    tickets = []
    for row, ticket_id in zip(rows, ids, strict=True):
        created = parse_instant(row["created_at"]) or as_of_end
        first = parse_instant(row["first_response_at"])
        solved = parse_instant(row["solved_at"])
        csat = (row["csat"] or "").strip().lower() or None
        csat = csat if csat in ("good", "bad") else None
        rated = None
        if csat:
            # the survey goes out when the ticket is solved; the answer comes hours later
            base = solved or first or created
            rated = min(base + timedelta(minutes=30 + stable_int("rated", system, ticket_id) % (47 * 60)), as_of_end)
        events = [m for m in (created, first, solved, rated) if m is not None]
        tickets.append(Ticket(
            world_id=row["ticket_id"], id=ticket_id, requester_email=(row["requester_email"] or None),
            subject=row["subject"], priority=(row["priority"] or "").strip().lower() or None,
            status=(row["status"] or "").strip().lower() or None, created_at=created,
            first_response_at=first, solved_at=solved, csat=csat, rated_at=rated,
            updated_at=min(max(events), as_of_end),
        ))
    tickets.sort(key=lambda t: (t.created_at, t.id))
    return Helpdesk(as_of_end=as_of_end, tickets=tickets)


BUSINESS_START, BUSINESS_END = 8, 18  # hours, UTC, Monday to Friday


def business_minutes(start: datetime | None, end: datetime | None) -> int | None:
    """Whole minutes between start and end that fall inside business hours."""
    if start is None or end is None:
        return None
    if end <= start:
        return 0
    total, day = 0.0, start.date()
    while day <= end.date():
        if day.weekday() < 5:
            opens = datetime.combine(day, time(BUSINESS_START), tzinfo=timezone.utc)
            closes = datetime.combine(day, time(BUSINESS_END), tzinfo=timezone.utc)
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return int(total // 60)


def calendar_minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))
