"""Turning warehouse values into what each CRM API accepts."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal


def _iso(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%dT00:00:00Z")


def salesforce_value(value):
    """JSON-typed: numbers as numbers, datetimes as ISO-8601 UTC, text as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return _iso(value)
    return value


def hubspot_value(value) -> str | None:
    """HubSpot property values are always strings; an empty string clears a property."""
    value = salesforce_value(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, "g") if value != int(value) else str(int(value))
    return str(value)
