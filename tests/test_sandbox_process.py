"""The sandbox in its own process: it serves the world from another PID, stops with its
parent (also when the parent dies without stopping it), and names a taken port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sandbox.doubles.process import SandboxProcess, SandboxStartError

ROOT = Path(__file__).resolve().parents[1]


def alive(pid: int) -> bool:
    """Running: an exited process that nobody reaped yet (a zombie) does not count."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_the_doubles_answer_from_another_process_and_stop_with_it(tiny_world, tmp_path):
    with SandboxProcess(tiny_world, tmp_path / "sandbox") as sandbox:
        assert sandbox.pid != os.getpid() and alive(sandbox.pid)
        freshdesk = sandbox.env["FRESHDESK_BASE_URL"]
        answer = requests.get(f"{freshdesk}/api/v2/tickets", params={"per_page": 2},
                              auth=(sandbox.env["FRESHDESK_API_KEY"], "X"), timeout=10)
        assert answer.status_code == 200 and len(answer.json()) == 2
        logged = [json.loads(line) for line in (tmp_path / "sandbox" / "requests.jsonl").read_text().splitlines()]
        assert [(e["vendor"], e["path"], e["status"]) for e in logged] == [("freshdesk", "/api/v2/tickets", 200)]
        pid = sandbox.pid
    assert wait_gone(pid)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{freshdesk}/api/v2/tickets", timeout=2)


def test_a_taken_port_fails_the_start_naming_system_and_port(tiny_world, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxStartError) as failure:
            SandboxProcess(tiny_world, tmp_path / "sandbox", ports={"zendesk": port}).start()
    assert str(failure.value) == (f"the sandbox did not start: zendesk: port {port} on 127.0.0.1 is already in use "
                                  "(another sandbox running? pick another port or 0 for a free one)")


def test_the_sandbox_exits_when_its_parent_dies_without_stopping_it(tiny_world, tmp_path):
    parent = subprocess.run(
        [sys.executable, "-c",
         "import os, sys; from sandbox.doubles.process import SandboxProcess\n"
         "s = SandboxProcess(sys.argv[1], sys.argv[2]); s.start(); print(s.pid, flush=True); os._exit(0)",
         str(tiny_world), str(tmp_path / "sandbox")],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.returncode == 0, parent.stderr
    orphan = int(parent.stdout.strip())
    assert wait_gone(orphan), f"sandbox process {orphan} outlived its parent"


def test_a_folder_that_is_not_a_world_fails_the_start_with_the_reason(tmp_path):
    with pytest.raises(SandboxStartError, match=r"^the sandbox did not start: .*meta\.json"):
        SandboxProcess(tmp_path, tmp_path / "sandbox").start()
