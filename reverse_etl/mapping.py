"""Sync mappings as configuration: `mappings.yaml` → typed objects, and the checks a
mapping must pass before anything is written.

Checks that need only the YAML, the model and the ingestion pipelines live here; checks
against the destination's own schema (Salesforce describe, HubSpot properties) live in
each writer. `sync.py` collects every problem from both and stops before any write when
there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_MAPPINGS = Path(__file__).with_name("mappings.yaml")

# The vendors' hard limits (Salesforce sObject Collections, HubSpot CRM v3 batch update).
VENDOR_BATCH_LIMITS = {"salesforce": 200, "hubspot": 100}
BULK_CAPABLE = ("salesforce",)  # Bulk API 2.0 ingest jobs


class MappingError(ValueError):
    """The YAML itself is malformed (a missing key, a wrong type)."""


@dataclass(frozen=True)
class FieldMap:
    column: str          # model column
    target: str          # destination field / property
    optional: bool = False


@dataclass(frozen=True)
class Destination:
    name: str
    object: str
    match_key: str
    batch_size: int
    field_maps: tuple[FieldMap, ...]
    bulk_threshold: int | None = None
    property_group: dict | None = None
    properties: dict[str, dict] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, str]:
        """Model column → destination field, every mapped field."""
        return {f.column: f.target for f in self.field_maps}

    @property
    def targets(self) -> list[str]:
        return [f.target for f in self.field_maps]


@dataclass(frozen=True)
class RetrySettings:
    permanent_attempts: int = 3
    record_rounds: int = 3


@dataclass(frozen=True)
class Mappings:
    model: str
    destinations: dict[str, Destination]
    model_key: str = "account_id"
    retry: RetrySettings = RetrySettings()


def _field_map(column: str, spec) -> FieldMap:
    if isinstance(spec, str):
        return FieldMap(column, spec)
    if isinstance(spec, dict) and isinstance(spec.get("field"), str):
        return FieldMap(column, spec["field"], bool(spec.get("optional", False)))
    raise MappingError(f"field {column!r}: expected a field name or {{field: Name, optional: true}}, got {spec!r}")


def parse_mappings(raw: dict) -> Mappings:
    try:
        destinations = {}
        for name, spec in raw["destinations"].items():
            threshold = spec.get("bulk_threshold")
            destinations[name] = Destination(
                name=name,
                object=spec["object"],
                match_key=spec["match_key"],
                batch_size=int(spec["batch_size"]),
                field_maps=tuple(_field_map(column, target) for column, target in (spec["fields"] or {}).items()),
                bulk_threshold=int(threshold) if threshold is not None else None,
                property_group=spec.get("property_group"),
                properties=dict(spec.get("properties") or {}),
            )
        retry = raw.get("retry") or {}
        return Mappings(
            model=raw["model"],
            destinations=destinations,
            model_key=raw.get("model_key", "account_id"),
            retry=RetrySettings(
                permanent_attempts=int(retry.get("permanent_attempts", 3)),
                record_rounds=int(retry.get("record_rounds", 3)),
            ),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, MappingError):
            raise
        raise MappingError(f"malformed mappings: {exc!r}") from None


def load_mappings(path: Path = DEFAULT_MAPPINGS) -> Mappings:
    return parse_mappings(yaml.safe_load(Path(path).read_text()))


# --- checks that need no destination --------------------------------------------------

def config_problems(destination: Destination) -> list[str]:
    """What is wrong with the mapping on its own."""
    problems = []
    name = destination.name
    limit = VENDOR_BATCH_LIMITS.get(name)
    if limit is None:
        problems.append(f"{name}: no writer for this destination (known: {', '.join(VENDOR_BATCH_LIMITS)})")
    elif not 1 <= destination.batch_size <= limit:
        problems.append(f"{name}: batch_size {destination.batch_size} is outside the vendor's limit of 1..{limit}")
    if not destination.field_maps:
        problems.append(f"{name}: no fields are mapped")
    seen: dict[str, str] = {}
    for f in destination.field_maps:
        key = f.target.lower()
        if key in seen:
            problems.append(f"{name}: {f.target} is mapped from both {seen[key]} and {f.column}")
        seen[key] = f.column
    if destination.bulk_threshold is not None and destination.bulk_threshold < 0:
        problems.append(f"{name}: bulk_threshold must be 0 or more")
    if destination.bulk_threshold is not None and name not in BULK_CAPABLE:
        problems.append(f"{name}: bulk_threshold is set but {name} has no bulk writer")
    return problems


def model_problems(destination: Destination, model: str, model_key: str, columns: set[str]) -> list[str]:
    """Mapped columns the model lacks (optional ones are allowed to be absent)."""
    problems = []
    for column, what in ((model_key, "model key"), (destination.match_key, "match key")):
        if column not in columns:
            problems.append(f"{destination.name}: {what} column {column!r} is not in {model}")
    for f in destination.field_maps:
        if f.column not in columns and not f.optional:
            problems.append(f"{destination.name}: column {f.column!r} (→ {f.target}) is not in {model}")
    return problems


def pipeline_read_fields(destination: Destination) -> set[str]:
    """Fields of the destination object that the ingestion pipelines read (lower case):
    anything read may end up in the score, so the sync must never write it."""
    if destination.name == "salesforce":
        from pipelines.salesforce import SOBJECTS

        entries = SOBJECTS.values()    # (sObject, fields, ...)
    elif destination.name == "hubspot":
        from pipelines.hubspot import CRM_OBJECTS

        entries = CRM_OBJECTS.values()  # (object type, properties, ...)
    else:
        return set()
    return {str(f).lower() for entry in entries if str(entry[0]).lower() == destination.object.lower()
            for f in entry[1]}


def score_input_problems(destination: Destination) -> list[str]:
    read = pipeline_read_fields(destination)
    return [
        f"{destination.name}: {f.target} is read by the {destination.name} ingestion pipeline, so writing it "
        "would feed the score its own output"
        for f in destination.field_maps if f.target.lower() in read
    ]
