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
    """The YAML itself is malformed (not YAML, a missing key, a wrong type); `problems`
    lists every one found."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class FieldMap:
    column: str          # model column
    target: str          # destination field / property
    optional: bool = False
    # A stamp (when the values were scored) goes with every write, but a row whose other
    # values are what the CRM holds is not written for a new stamp alone.
    stamp: bool = False


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

    @property
    def stamps(self) -> frozenset[str]:
        return frozenset(f.target for f in self.field_maps if f.stamp)


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
        return FieldMap(column, spec["field"], bool(spec.get("optional", False)), bool(spec.get("stamp", False)))
    raise MappingError(f"field {column!r}: expected a field name or {{field: Name, optional: true}}, got {spec!r}")


def _integer(value, what: str, problems: list[str]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        problems.append(f"{what}: expected a whole number, got {value!r}")
        return None
    try:
        return int(value)
    except ValueError:
        problems.append(f"{what}: expected a whole number, got {value!r}")
        return None


def _destination(name: str, spec, problems: list[str]) -> Destination | None:
    if not isinstance(spec, dict):
        problems.append(f"{name}: expected a mapping of settings, got {spec!r}")
        return None
    found = len(problems)
    for key in ("object", "match_key", "batch_size", "fields"):
        if key not in spec:
            problems.append(f"{name}: `{key}` is missing")
    for key in ("object", "match_key"):
        if key in spec and not isinstance(spec[key], str):
            problems.append(f"{name}: `{key}` must be a name, got {spec[key]!r}")
    batch_size = _integer(spec["batch_size"], f"{name}: batch_size", problems) if "batch_size" in spec else None
    threshold = spec.get("bulk_threshold")
    if threshold is not None:
        threshold = _integer(threshold, f"{name}: bulk_threshold", problems)
    fields = spec.get("fields")
    field_maps = []
    if "fields" in spec and not isinstance(fields, dict):
        problems.append(f"{name}: `fields` must map model columns to {name} fields, got {fields!r}")
    for column, target in (fields if isinstance(fields, dict) else {}).items():
        try:
            field_maps.append(_field_map(column, target))
        except MappingError as bad:
            problems.extend(f"{name}: {p}" for p in bad.problems)
    properties = spec.get("properties") or {}
    if not isinstance(properties, dict):
        problems.append(f"{name}: `properties` must map property names to definitions, got {properties!r}")
    group = spec.get("property_group")
    if group is not None and not (isinstance(group, dict) and isinstance(group.get("name"), str)):
        problems.append(f"{name}: `property_group` must be {{name: ..., label: ...}}, got {group!r}")
    if len(problems) > found:
        return None
    return Destination(name=name, object=spec["object"], match_key=spec["match_key"], batch_size=batch_size,
                       field_maps=tuple(field_maps), bulk_threshold=threshold, property_group=group,
                       properties=dict(properties))


def parse_mappings(raw) -> Mappings:
    """Typed mappings, or `MappingError` listing every problem of the YAML."""
    if not isinstance(raw, dict):
        raise MappingError(f"the mappings must be a YAML mapping with `model` and `destinations`, got {raw!r:.80}")
    problems: list[str] = []
    if not isinstance(raw.get("model"), str):
        problems.append(f"`model` must name the model table, got {raw.get('model')!r}")
    if not isinstance(raw.get("model_key", "account_id"), str):
        problems.append(f"`model_key` must name a column, got {raw.get('model_key')!r}")
    specs = raw.get("destinations")
    if not isinstance(specs, dict) or not specs:
        problems.append(f"`destinations` must map each CRM to its settings, got {specs!r:.80}")
        specs = {}
    destinations = {name: _destination(name, spec, problems) for name, spec in specs.items()}
    retry = raw.get("retry") or {}
    if not isinstance(retry, dict):
        problems.append(f"`retry` must be a mapping, got {retry!r}")
        retry = {}
    attempts = _integer(retry.get("permanent_attempts", 3), "retry.permanent_attempts", problems)
    rounds = _integer(retry.get("record_rounds", 3), "retry.record_rounds", problems)
    if problems:
        raise MappingError(problems)
    return Mappings(model=raw["model"], destinations=destinations, model_key=raw.get("model_key", "account_id"),
                    retry=RetrySettings(permanent_attempts=attempts, record_rounds=rounds))


def load_mappings(path: Path | None = None) -> Mappings:
    """Read and parse the file (`DEFAULT_MAPPINGS` unless named); every problem
    (unreadable, not YAML, malformed) is a `MappingError` naming the file."""
    path = Path(path or DEFAULT_MAPPINGS)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise MappingError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        raise MappingError(f"{path.name}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from None
    try:
        return parse_mappings(raw)
    except MappingError as bad:
        raise MappingError([f"{path.name}: {p}" for p in bad.problems]) from None


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
        from pipelines.salesforce import fields_read
    elif destination.name == "hubspot":
        from pipelines.hubspot import fields_read
    else:
        return set()
    return {str(f).lower() for f in fields_read(destination.object)}


def score_input_problems(destination: Destination) -> list[str]:
    read = pipeline_read_fields(destination)
    return [
        f"{destination.name}: {f.target} is read by the {destination.name} ingestion pipeline, so writing it "
        "would feed the score its own output"
        for f in destination.field_maps if f.target.lower() in read
    ]
