"""Sync mappings as configuration: `mappings.yaml` → typed objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_MAPPINGS = Path(__file__).with_name("mappings.yaml")


@dataclass(frozen=True)
class Destination:
    name: str
    object: str
    match_key: str
    batch_size: int
    fields: dict[str, str]  # model column -> destination field
    property_group: dict | None = None
    properties: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class Mappings:
    model: str
    destinations: dict[str, Destination]


def load_mappings(path: Path = DEFAULT_MAPPINGS) -> Mappings:
    raw = yaml.safe_load(Path(path).read_text())
    destinations = {
        name: Destination(
            name=name,
            object=spec["object"],
            match_key=spec["match_key"],
            batch_size=int(spec["batch_size"]),
            fields=dict(spec["fields"]),
            property_group=spec.get("property_group"),
            properties=dict(spec.get("properties") or {}),
        )
        for name, spec in raw["destinations"].items()
    }
    return Mappings(model=raw["model"], destinations=destinations)
