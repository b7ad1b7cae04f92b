"""The sandbox in its own process, so a run measures the pipeline and not the doubles.

    with SandboxProcess(world_dir, state_dir) as sandbox:
        os.environ.update(sandbox.env)     # the same exports as `Sandbox.env`
        ...                                # the pipeline runs here; the doubles answer from the child

The doubles are Python web servers: inside the pipeline's process they take its
interpreter lock, so a timed ingest was partly the doubles' own time. The child serves
every double (one `Sandbox`), prints its env exports as one JSON line on stdout and then
waits on its stdin: it exits when the parent closes that pipe, also when the parent dies
without stopping it, so no server outlives the run. A port that is taken fails the start
with the system and port named. Tests that reach into a double (faults, `touch`, the
in-memory request log) use the in-process `Sandbox`; the request log file
(`<state_dir>/requests.jsonl`) is written either way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from pathlib import Path

# An L world's doubles seed ~70 k tickets, ~20 k accounts and ~1.4 M CRM activities: 135 s
# on 2 quiet cores (mostly the two CRMs' seeding), longer on busy ones.
START_TIMEOUT_SECONDS = 600.0
STOP_TIMEOUT_SECONDS = 10.0


class SandboxStartError(RuntimeError):
    """The sandbox process did not come up (a port taken, not a world folder, ...)."""


class SandboxProcess:
    def __init__(self, world_dir: Path, state_dir: Path, ports: dict[str, int] | None = None,
                 lms_vendor: str | None = None, survey_vendor: str | None = None,
                 start_timeout: float = START_TIMEOUT_SECONDS):
        self.world_dir, self.state_dir = Path(world_dir).resolve(), Path(state_dir).resolve()
        self.ports = dict(ports or {})
        self.lms_vendor, self.survey_vendor = lms_vendor, survey_vendor
        self.start_timeout = start_timeout
        self.log_path = self.state_dir / "sandbox.log"
        self.env: dict[str, str] = {}
        self.pid: int | None = None
        self._child: subprocess.Popen | None = None

    def start(self) -> dict[str, str]:
        command = [sys.executable, "-m", "sandbox.doubles.process", "--world", str(self.world_dir),
                   "--state", str(self.state_dir)]
        for system, port in self.ports.items():
            command += ["--port", f"{system}={port}"]
        if self.lms_vendor:
            command += ["--lms-vendor", self.lms_vendor]
        if self.survey_vendor:
            command += ["--survey-vendor", self.survey_vendor]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # the child's own errors go to a file: a pipe nobody reads would block it once full
        with self.log_path.open("w") as log:
            self._child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=log, text=True)
        self.pid = self._child.pid
        line = _read_line(self._child, self.start_timeout)
        try:
            message = json.loads(line) if line else {}
        except json.JSONDecodeError:
            message = {}
        if "env" not in message:
            self.stop()
            reason = message.get("error") or self._log_tail() or "no answer"
            raise SandboxStartError(f"the sandbox did not start: {reason}")
        self.env = message["env"]
        return dict(self.env)

    def stop(self) -> None:
        """Closes the child's stdin (its signal to stop), then waits; kills it if it hangs."""
        child, self._child = self._child, None
        if child is None:
            return
        if child.stdin:
            try:
                child.stdin.close()
            except OSError:
                pass
        try:
            child.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout:
            child.stdout.close()

    def _log_tail(self) -> str:
        lines = [line for line in self.log_path.read_text().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_line(child: subprocess.Popen, timeout: float) -> str:
    """The child's first stdout line, or "" when it exits or stays silent past `timeout`."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        child.kill()
        return ""
    return lines[0].strip() if lines else ""


def _serve(args: argparse.Namespace) -> int:
    """The child: start the doubles, report the env (or the error), serve until stdin closes."""
    from sandbox.doubles.server import Sandbox

    ports = dict(_port(spec) for spec in args.port)
    sandbox = Sandbox(Path(args.world), Path(args.state), ports=ports, lms_vendor=args.lms_vendor,
                      survey_vendor=args.survey_vendor)
    try:
        env = sandbox.start()
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        sandbox.stop()
        print(json.dumps({"error": str(error)}), flush=True)
        return 1
    print(json.dumps({"env": env}), flush=True)
    try:
        sys.stdin.read()  # returns at EOF: the parent stopped us, or died
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _port(spec: str) -> tuple[str, int]:
    system, _, port = spec.partition("=")
    return system, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a world's vendor doubles until stdin closes.")
    parser.add_argument("--world", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--port", action="append", default=[], help="system=port (0: a free port)")
    parser.add_argument("--lms-vendor")
    parser.add_argument("--survey-vendor")
    return _serve(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
