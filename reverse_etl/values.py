"""Turning warehouse values into what each CRM API accepts."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

# Bulk API 2.0 CSV: an empty cell leaves the field unchanged, `#N/A` sets it to null.
BULK_NULL = "#N/A"


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
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return _iso(value)
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return _iso(value.to_pydatetime())
    return value


def _number_text(value: float) -> str:
    """Shortest round-tripping text, without exponent or a trailing `.0`."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def hubspot_value(value) -> str:
    """HubSpot property values are always strings; an empty string clears a property."""
    value = salesforce_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    return str(value)


def bulk_csv_value(value) -> str:
    """A Bulk API 2.0 CSV cell (quoting is the csv writer's job)."""
    value = salesforce_value(value)
    if value is None or value == "":
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    return str(value)
