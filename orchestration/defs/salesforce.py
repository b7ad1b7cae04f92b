"""Salesforce: sObjects → raw_salesforce, and health fields → Account."""

from cs360_core.settings import Home
from orchestration.defs.crm_sync import crm_sync_asset
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import salesforce_settings
from pipelines.salesforce import salesforce


def salesforce_assets(home: Home):
    return [raw_source_assets(salesforce, salesforce_settings, home), crm_sync_asset("salesforce", home)]
