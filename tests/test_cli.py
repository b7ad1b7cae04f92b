"""The console script's outside surface: unconfigured systems are skipped with one line each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.systems import SYSTEMS

CS360 = str(Path(sys.executable).with_name("cs360"))
SOURCE_PREFIXES = ("SALESFORCE_", "HUBSPOT_", "ZENDESK_", "FRESHDESK_", "SURVEY_", "DELIGHTED_", "TYPEFORM_", "LMS_",
                   "SKILLJAR_", "THINKIFIC_", "PRODUCT_", "ALERT_")


def test_run_with_nothing_configured_says_so_per_source_and_fails_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(SOURCE_PREFIXES) and k != "DAGSTER_HOME"}
    result = subprocess.run([CS360, "run", "ingest", "--home", str(tmp_path / "home")],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    skip_lines = [line for line in result.stdout.splitlines() if "skipping" in line]
    assert len(skip_lines) == len(SYSTEMS)
    assert "cs360_ingest: every system it needs is unconfigured, nothing to run" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
