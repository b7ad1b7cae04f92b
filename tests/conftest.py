"""Shared fixtures: a tiny deterministic world, an isolated home, and the vendor sandbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cs360_core.settings import Home, resolve_home
from sandbox.doubles.server import Sandbox
from sandbox.world.generator import generate_world

TINY_SEED = 7


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    world = tmp_path_factory.mktemp("world") / "xs"
    generate_world(world, size="XS", seed=TINY_SEED)
    return world


@pytest.fixture(scope="module")
def module_env():
    """Environment changes made by a module's fixtures are undone after the module."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _isolated_home(root: Path) -> Home:
    os.environ["DAGSTER_HOME"] = str(root / "dagster")
    return resolve_home(root)


@pytest.fixture(scope="module")
def module_home(tmp_path_factory, module_env) -> Home:
    return _isolated_home(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def module_sandbox(tiny_world, module_home):
    with Sandbox(tiny_world, module_home.sandbox_dir, ports={"salesforce": 0, "hubspot": 0}) as sandbox:
        os.environ.update(sandbox.env)
        yield sandbox


# `make test` hands each worker whole modules (--dist loadfile) in collection order
# (--no-loadscope-reorder): the modules that take longest go first, so that both workers
# finish together instead of one running a long module alone at the end. Measured with
# `--durations`; a module not listed keeps its place after these.
LONGEST_FIRST = (
    "test_scorecard_learning.py", "test_sync_gates.py", "test_webapp_browser.py", "test_end_to_end.py",
    "test_orchestration.py", "test_dbt_project.py", "test_scheduled_launch.py", "test_dbt_engines.py",
    "test_ingest_dagster.py", "test_score_components.py", "test_cli.py", "test_engagement_component.py",
    "test_identity_crm.py", "test_dagster_dev.py", "test_reverse_etl_mappings.py", "test_reverse_etl.py",
    "test_survey_vendors.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
