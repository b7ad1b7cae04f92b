"""NPS survey tool: invitations and responses → raw_surveys."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import survey_settings
from pipelines.surveys import surveys


def surveys_assets(home: Home):
    return [raw_source_assets(surveys, survey_settings, home)]
