"""HubSpot: CRM objects → raw_hubspot, and health properties → companies."""

from cs360_core.settings import Home
from orchestration.defs.crm_sync import crm_sync_asset
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import hubspot_settings
from pipelines.hubspot import hubspot


def hubspot_assets(home: Home):
    return [raw_source_assets(hubspot, hubspot_settings, home), crm_sync_asset("hubspot", home)]
