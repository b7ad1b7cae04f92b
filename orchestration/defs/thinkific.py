"""Thinkific: courses and enrollments with their completions → raw_thinkific."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import thinkific_settings
from pipelines.thinkific import thinkific


def thinkific_assets(home: Home):
    return [raw_source_assets(thinkific, thinkific_settings, home)]
