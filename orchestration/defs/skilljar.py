"""Skilljar: courses, published courses, enrollments and course progress → raw_skilljar."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import skilljar_settings
from pipelines.skilljar import skilljar


def skilljar_assets(home: Home):
    return [raw_source_assets(skilljar, skilljar_settings, home)]
