"""A world's courses and enrollments as the LMS doubles serve them (generic, Skilljar, Thinkific).

An enrollment's `updated_at` is its latest event (registered, attended, completed); a
course's `published_at` is a few days to two months before its first enrollment (the world
has no course dates). Nothing is stamped later than the world's last millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sandbox.doubles.common import parse_instant, stable_int, world_end
from sandbox.world.format import read_table


@dataclass
class Course:
    course_id: str
    title: str
    kind: str | None
    published_at: datetime


@dataclass
class Enrollment:
    enrollment_id: str
    course_id: str
    email: str
    registered_at: datetime | None
    attended_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


def load_training(world_dir: Path) -> tuple[datetime, list[Course], list[Enrollment]]:
    """(the world's end, its courses, its enrollments in world order)."""
    end = world_end(world_dir)
    enrollments, first_seen = [], {}
    for row in read_table(world_dir, "enrollments").to_dict("records"):
        stamps = {k: parse_instant(row[k]) for k in ("registered_at", "attended_at", "completed_at")}
        events = [m for m in stamps.values() if m is not None]
        enrollments.append(Enrollment(row["enrollment_id"], row["course_id"], row["email"], **stamps,
                                      updated_at=min(max(events), end) if events else end))
        if stamps["registered_at"]:
            first_seen[row["course_id"]] = min(first_seen.get(row["course_id"], end), stamps["registered_at"])
    courses = []
    for row in read_table(world_dir, "courses").to_dict("records"):
        published = first_seen.get(row["course_id"], end) - timedelta(
            days=1 + stable_int("course", row["course_id"]) % 60)
        courses.append(Course(row["course_id"], row["title"], row["kind"], min(published, end)))
    return end, courses, enrollments


def vendor_id(prefix: str, key: str, length: int = 13) -> str:
    """A stable lower-case alphanumeric id (the form Skilljar's ids take) for a world key."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    number, out = stable_int(prefix, key), []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)
