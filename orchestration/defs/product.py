"""Product database and event files → raw_product."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import product_settings
from pipelines.product import product


def product_assets(home: Home):
    return [raw_source_assets(product, product_settings, home)]
