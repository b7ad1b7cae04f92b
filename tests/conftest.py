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
