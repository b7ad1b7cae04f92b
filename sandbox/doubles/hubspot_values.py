"""How HubSpot checks and stores a property value written through the CRM v3 API.

Returns the stored string, None to clear, or (error code, message) for the
"Property values were not valid" list. Datetimes may be ISO-8601 or epoch milliseconds
and are stored as ISO; date properties must fall on midnight UTC.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from sandbox.doubles.common import parse_instant
from sandbox.doubles.hubspot_schema import hs_datetime


def to_instant(value: str) -> datetime | None:
    """ISO-8601 (date or datetime) or epoch milliseconds, as an aware datetime."""
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
        return parse_instant(text)
    except (ValueError, OverflowError, OSError):
        return None


def normalise(prop: dict, value: str | None, owners=()) -> str | None | tuple[str, str]:
    name, kind = prop["name"], prop["type"]
    if prop["modificationMetadata"]["readOnlyValue"]:
        return ("READ_ONLY_VALUE", f'Property "{name}" is read-only and cannot be set')
    if value is None or value == "":
        return None  # an empty string clears the value
    if kind != "string" and value != value.strip():
        return ("LEADING_TRAILING_WHITESPACE", f'"{value}" includes leading or trailing whitespace.')
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return ("INVALID_DECIMAL", f'"{value}" is not a valid number')
        return value
    if kind == "bool":
        if value.lower() not in ("true", "false"):
            return ("INVALID_BOOLEAN", f'"{value}" is not a valid boolean; use true or false')
        return value.lower()
    if kind == "enumeration":
        allowed = sorted(owners) if prop["externalOptions"] else [o["value"] for o in prop["options"]]
        chosen = value.split(";") if prop["fieldType"] == "checkbox" else [value]
        bad = [v for v in chosen if v not in allowed]
        if bad:
            return ("INVALID_OPTION", f"{bad[0]} was not one of the allowed options: [{', '.join(allowed)}]")
        return value
    if kind in ("datetime", "date"):
        moment = to_instant(value)
        if moment is None:
            return ("INVALID_DATE", f'"{value}" is not a valid {kind}; use ISO-8601 or epoch milliseconds')
        if kind == "date":
            if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
                return ("INVALID_DATE", f'"{value}" is not at midnight UTC, as a date property requires')
            return moment.date().isoformat()
        return hs_datetime(moment)
    return value
