"""Training / LMS: courses and enrollments → raw_training."""

from cs360_core.settings import Home
from orchestration.defs.ingest import raw_source_assets
from pipelines.credentials import training_settings
from pipelines.training import training


def training_assets(home: Home):
    return [raw_source_assets(training, training_settings, home)]
