"""ruff over the Python tree and sqlfluff (dbt templater, DuckDB dialect) over the dbt
project, with the rule sets configured in pyproject.toml and dbt_project/.sqlfluff: a
violation fails the suite, so CI (`make test`) keeps the tree clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def test_ruff_finds_nothing():
    done = _run([str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", "."], REPO)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def test_sqlfluff_finds_nothing_in_the_dbt_project(tmp_path):
    # the dbt templater compiles against the profile, whose warehouse lives in the home
    env = {**os.environ, "CS360_HOME": str(tmp_path), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "DBT_LOG_PATH": str(tmp_path / "logs")}
    done = _run([str(BIN / "sqlfluff"), "lint", "--disable-progress-bar", "."], REPO / "dbt_project", env)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-3000:]
    assert "Skipped file" not in done.stderr, done.stderr[-3000:]  # a model dbt could not compile is no pass
