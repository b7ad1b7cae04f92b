"""Where cs360 keeps its state, and how the environment is read.

Everything a run writes lives under one home folder (`--home`, env `CS360_HOME`, default
`./.cs360`): the warehouse, dlt pipeline state, dbt artefacts, the Dagster instance, the
sandbox's files. Secrets are only ever read from the environment (or `<home>/.env`) when a
run starts; this module never reads a secret itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_HOME = Path(".cs360")

# Keep every library's own state and chatter inside the home folder and off the network.
_QUIET_LIBRARIES = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}

WRITTEN_BY_CS360 = "# Written by cs360"
DAGSTER_YAML = WRITTEN_BY_CS360 + """ (edit freely: cs360 leaves a file without this line alone).
# One DuckDB writer at a time: every step that writes the warehouse claims a slot of
# the `duckdb_writer` pool.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""
# Run, event and schedule storage on PostgreSQL; the URL (with its password) stays in the
# environment: dagster.yaml names the variable, never the value.
POSTGRES_STORAGE_ENV = "CS360_DAGSTER_POSTGRES_URL"
POSTGRES_STORAGE_YAML = f"""\
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_STORAGE_ENV}
"""


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def dlt_dir(self) -> Path:
        return self.root / "dlt"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def sandbox_dir(self) -> Path:
        return self.root / "sandbox"

    @property
    def demo_world(self) -> Path:
        return self.root / "demo" / "world"


def resolve_home(home: str | os.PathLike | None = None) -> Home:
    """Pick the home folder, create it, and export it so dbt and Dagster see the same one."""
    root = Path(home or os.environ.get("CS360_HOME") or DEFAULT_HOME).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.environ["CS360_HOME"] = str(root)
    for key, value in _QUIET_LIBRARIES.items():
        os.environ.setdefault(key, value)
    resolved = Home(root)
    # dbt (and dagster-dbt's per-run target folders) write under the home, not the repo.
    os.environ["DBT_TARGET_PATH"] = str(resolved.dbt_target)
    os.environ["DBT_LOG_PATH"] = str(resolved.dbt_logs)
    _ensure_dagster_home(resolved)
    return resolved


def dagster_yaml() -> str:
    """Local SQLite storage by default; PostgreSQL when `CS360_DAGSTER_POSTGRES_URL` is set."""
    return DAGSTER_YAML + (POSTGRES_STORAGE_YAML if os.environ.get(POSTGRES_STORAGE_ENV) else "")


def _ensure_dagster_home(home: Home) -> None:
    home.dagster_home.mkdir(parents=True, exist_ok=True)
    config = home.dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text().startswith(WRITTEN_BY_CS360):
        wanted = dagster_yaml()
        if not config.exists() or config.read_text() != wanted:
            config.write_text(wanted)
    os.environ.setdefault("DAGSTER_HOME", str(home.dagster_home))


def load_dotenv(home: Home) -> None:
    """Values from `<home>/.env` fill gaps; the real environment always wins."""
    env_file = home.root / ".env"
    if env_file.exists():
        for key, value in dotenv_values(env_file).items():
            if value is not None:
                os.environ.setdefault(key, value)
