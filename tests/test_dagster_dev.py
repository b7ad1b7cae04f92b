"""`dagster dev` from the repository root loads the code location with no errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.services import default_signals, free_port

REPO = Path(__file__).resolve().parents[1]
LOCATION_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError {
      __typename
      ... on PythonError { message }
      ... on RepositoryLocation { repositories {
          name assetNodes { id } jobs { name } schedules { name } } }
    } } } } }
"""



@pytest.fixture
def dagster_dev(module_home):
    port = free_port()
    env = {**os.environ, "CS360_HOME": str(module_home.root), "DAGSTER_HOME": str(module_home.dagster_home)}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster")), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=default_signals,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a busy machine: leave no webserver or daemon behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _location(url: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = requests.post(f"{url}/graphql", json={"query": LOCATION_QUERY}, timeout=10).json()
            entries = answer["data"]["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["loadStatus"] == "LOADED":
                return entries[0]
        except (requests.ConnectionError, KeyError, TypeError):
            pass
        time.sleep(1)
    raise AssertionError("dagster dev did not load the code location in time")


def test_dagster_dev_loads_every_definition(dagster_dev):
    location = _location(dagster_dev)
    assert location["name"] == "cs360"
    loaded = location["locationOrLoadError"]
    assert loaded["__typename"] == "RepositoryLocation", loaded.get("message")
    repository = loaded["repositories"][0]
    assert {job["name"] for job in repository["jobs"]} >= {"cs360_all", "cs360_ingest", "cs360_transform", "cs360_sync"}
    assert {schedule["name"] for schedule in repository["schedules"]} == {"cs360_daily", "cs360_hourly_voice_of_customer"}
    assert len(repository["assetNodes"]) > 30
