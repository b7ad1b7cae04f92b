"""Freshdesk: tickets (SLA stats, requester) and satisfaction ratings → raw_freshdesk."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import freshdesk_settings
from pipelines.freshdesk import freshdesk


def freshdesk_assets(home: Home):
    return [raw_source_assets(freshdesk, freshdesk_settings, home)]
