"""Shared fixtures: a tiny deterministic world, an isolated home, and the vendor sandbox."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from cs360_core.settings import Home, resolve_home
from sandbox.doubles.server import Sandbox
from sandbox.world.generator import generate_world
from tests.services import free_port_to_bind_later

TINY_SEED = 7
SHARED_MEMORY = Path("/dev/shm")


def pytest_configure(config):
    """Test homes on tmpfs where the machine has one (the workers get folders inside it):
    Dagster's SQLite event log commits, and so syncs to disk, once per event, and a run of
    the whole job stores some 1,500 events."""
    if config.option.basetemp is None and not hasattr(config, "workerinput") and os.access(SHARED_MEMORY, os.W_OK):
        config.option.basetemp = config._cs360_basetemp = tempfile.mkdtemp(prefix="cs360-tests-", dir=SHARED_MEMORY)


def pytest_unconfigure(config):
    if hasattr(config, "_cs360_basetemp"):  # tmpfs holds memory: nothing is left behind
        shutil.rmtree(config._cs360_basetemp, ignore_errors=True)


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


@dataclass(frozen=True)
class FullRun:
    """The whole job (`cs360_all`) run once on the tiny world, with CS360_PUBLIC_URL set so
    the CRM payload carries the customer page's link."""
    home: Home
    sandbox: Sandbox
    stage: object  # cs360.runner.StageRun
    public_port: int
    env: dict  # what the run exported: DAGSTER_HOME, CS360_HOME, the sandbox's endpoints, CS360_PUBLIC_URL


@pytest.fixture(scope="session")
def xs_full_run(tmp_path_factory, tiny_world) -> FullRun:
    """One complete run, shared by the modules in SHARED_FULL_RUN (one xdist group, so one
    worker builds it once). They read it in the order of LONGEST_FIRST: those that only
    read, then those that run more on the same home."""
    from cs360.runner import run_stage

    saved = dict(os.environ)
    port = free_port_to_bind_later()  # the web app binds it after the whole run
    os.environ["CS360_PUBLIC_URL"] = f"http://127.0.0.1:{port}/"
    home = _isolated_home(tmp_path_factory.mktemp("full-run"))
    with Sandbox(tiny_world, home.sandbox_dir, ports={"salesforce": 0, "hubspot": 0}) as sandbox:
        os.environ.update(sandbox.env)
        stage = run_stage(home, "all", log=lambda line: None)
        env = {key: value for key, value in os.environ.items() if saved.get(key) != value}
        os.environ.clear()
        os.environ.update(saved)
        assert stage.success, stage.failures()
        yield FullRun(home, sandbox, stage, port, env)


@pytest.fixture(scope="module")
def full_run(xs_full_run, module_env) -> FullRun:
    """The shared run, with its environment for the module's tests."""
    os.environ.update(xs_full_run.env)
    return xs_full_run


# `make test` hands each worker whole modules (--dist loadfile), and the modules that share
# the full run as one unit (the scheduler below), so that module fixtures and that run are
# built once. The units go out in collection order (--no-loadscope-reorder): the longest
# first, so that both workers finish together instead of one running a long module alone at
# the end. Measured with `--durations`; a module not listed keeps its place after these.
SHARED_FULL_RUN = ("test_end_to_end.py", "test_orchestration.py", "test_webapp_browser.py",
                   "test_scorecard_learning.py")
LONGEST_FIRST = (
    *SHARED_FULL_RUN, "test_sync_gates.py", "test_dbt_project.py", "test_scheduled_launch.py",
    "test_ingest_dagster.py", "test_runtime_install.py", "test_dbt_engines.py", "test_score_components.py",
    "test_engagement_component.py", "test_identity_crm.py", "test_dagster_dev.py", "test_systems.py",
    "test_dbt_layers.py", "test_definitions.py", "test_cli.py", "test_reverse_etl_mappings.py",
    "test_webhook_client.py", "test_reverse_etl.py", "test_survey_vendors.py", "test_churn_model.py",
)


def pytest_xdist_make_scheduler(config, log):
    """xdist's loadfile scheduling, with the modules of SHARED_FULL_RUN as one unit. (xdist's
    own `xdist_group` mark does nothing under pytest 9: it renames node ids through an
    attribute pytest 9 no longer reads.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedRunScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return "shared full run" if Path(module).name in SHARED_FULL_RUN else module

    return SharedRunScheduling(config, log)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
