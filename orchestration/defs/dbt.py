"""The dbt project as Dagster assets: every model and seed, dbt tests as asset checks."""

import subprocess
import sys
from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, Config
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from cs360_core.killpoints import kill_point
from cs360_core.settings import Home
from orchestration.automation import DUCKDB_WRITER_POOL
from orchestration.translator import Cs360DbtTranslator

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# The dbt beside this interpreter, so a venv works without being activated.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
_PROJECT_FILES = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")


def dbt_project(home: Home) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=home.dbt_target)


def ensure_manifest(project: DbtProject) -> Path:
    """Parse the project when its manifest is missing or older than any project file."""
    manifest = Path(project.manifest_path)
    if not manifest.exists() or manifest.stat().st_mtime < _newest_project_file():
        subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(manifest.parent)],
            check=True,
        )
    return manifest


def _newest_project_file() -> float:
    paths = [DBT_PROJECT_DIR / name for name in _PROJECT_FILES]
    files = [p for path in paths if path.exists() for p in ([path] if path.is_file() else path.rglob("*"))]
    return max(p.stat().st_mtime for p in files)


class DbtBuildConfig(Config):
    full_refresh: bool = False  # rebuild incremental models (the score history) from scratch


def dbt_model_assets(home: Home) -> tuple[AssetsDefinition, DbtCliResource]:
    project = dbt_project(home)

    @dbt_assets(
        manifest=ensure_manifest(project),
        project=project,
        dagster_dbt_translator=Cs360DbtTranslator(),
        pool=DUCKDB_WRITER_POOL,
    )
    def cs360_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
        for event in dbt.cli(args, context=context).stream():
            yield event
            kill_point("dbt_build_event")  # mid-build: some models rebuilt, the rest not

    return cs360_dbt_models, DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)
