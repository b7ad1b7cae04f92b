"""Zendesk: tickets, requesters, ticket metrics, satisfaction ratings → raw_zendesk."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import zendesk_settings
from pipelines.zendesk import zendesk


def zendesk_assets(home: Home):
    return [raw_source_assets(zendesk, zendesk_settings, home)]
