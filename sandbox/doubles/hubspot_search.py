"""The CRM search endpoint's filtering and sorting (POST /crm/v3/objects/{type}/search).

filterGroups are ORed, filters inside a group ANDed (at most 5 groups of 6 filters);
datetime values compare as instants whether given as ISO-8601 or epoch milliseconds.
"""

from __future__ import annotations

from sandbox.doubles.hubspot_values import to_instant

MAX_GROUPS, MAX_FILTERS = 5, 6


def typed(prop: dict | None, raw):
    """A property value in a form Python compares the way HubSpot does."""
    if raw is None or raw == "":
        return None
    kind = prop["type"] if prop else "string"
    if kind in ("datetime", "date"):
        moment = to_instant(str(raw))
        return moment.timestamp() if moment else None
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return None
    return str(raw).lower()


def _matches(props: dict, record: dict, flt: dict, error) -> bool:
    name, op = flt.get("propertyName"), str(flt.get("operator", "EQ")).upper()
    prop = props.get(name)
    actual = typed(prop, record["properties"].get(name))
    if op == "HAS_PROPERTY":
        return actual is not None
    if op == "NOT_HAS_PROPERTY":
        return actual is None
    if op in ("IN", "NOT_IN"):
        values = {typed(prop, v) for v in flt.get("values") or []}
        return (actual in values) == (op == "IN")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(flt.get("value", "")).lower().strip("*")
        found = actual is not None and token in str(actual)
        return found == (op == "CONTAINS_TOKEN")
    value = typed(prop, flt.get("value"))
    if op == "EQ":
        return actual == value
    if op == "NEQ":
        return actual != value
    if actual is None or value is None:
        return False
    if op == "BETWEEN":
        high = typed(prop, flt.get("highValue"))
        return high is not None and value <= actual <= high
    compare = {"LT": actual < value, "LTE": actual <= value, "GT": actual > value, "GTE": actual >= value}
    if op not in compare:
        raise error(f"Unknown filter operator: {op}")
    return compare[op]


def run_search(props: dict, records: list[dict], body: dict, error) -> list[dict]:
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS or any(len(g.get("filters") or []) > MAX_FILTERS for g in groups):
        raise error(f"At most {MAX_GROUPS} filterGroups with {MAX_FILTERS} filters each are allowed")
    hits = [r for r in records
            if not groups or any(all(_matches(props, r, f, error) for f in g.get("filters") or []) for g in groups)]
    query = str(body.get("query") or "").lower()
    if query:
        hits = [r for r in hits if any(query in str(v).lower() for v in r["properties"].values() if v)]
    hits.sort(key=lambda r: int(r["id"]))
    for sort in reversed(body.get("sorts") or []):
        if isinstance(sort, str):
            name, desc = sort.lstrip("-"), sort.startswith("-")
        else:
            name, desc = sort.get("propertyName"), str(sort.get("direction", "")).upper() == "DESCENDING"
        prop = props.get(name)
        present = [r for r in hits if typed(prop, r["properties"].get(name)) is not None]
        absent = [r for r in hits if typed(prop, r["properties"].get(name)) is None]
        present.sort(key=lambda r: typed(prop, r["properties"][name]), reverse=desc)
        hits = present + absent
    return hits
