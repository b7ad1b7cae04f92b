"""Screenshots of the Dagster UI: the asset groups and one run.

    docs/screenshots/asset-groups.png  the global lineage, groups collapsed, with their links
    docs/screenshots/run.png           the last successful run of the home: steps and timeline

Build a home first (`cs360 demo --size XS --home <home>`), then, with Debian's chromium and
the `playwright` package (its bundled driver, not its browsers):

    python docs/screenshots/take_dagster_screenshots.py <home> docs/screenshots

The script starts `dagster dev -w workspace.yaml` on that home, takes the pictures at
1200 px wide with the UI zoomed in, and stops the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
WIDTH = 1200
ZOOM_IN_STEPS = 3
PAN_RIGHT = 250
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dagster(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CS360_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    dagster = Path(sys.executable).with_name("dagster")
    server = subprocess.Popen([str(dagster), "dev", "-w", "workspace.yaml", "-p", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                return server
        except OSError:
            time.sleep(3)
    os.killpg(server.pid, signal.SIGTERM)
    raise TimeoutError("dagster dev did not answer within 10 minutes")


def last_successful_run(home: Path) -> str:
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.SUCCESS]), limit=1)
        if not runs:
            raise SystemExit(f"no successful run in {home / 'dagster'}: run `cs360 demo` first")
        return runs[0].run_id


def dismiss_dialogs(page) -> None:
    for name in ("Skip", "Dismiss", "Close"):
        button = page.get_by_role("button", name=name)
        if button.count():
            button.first.click()
            page.wait_for_timeout(500)


def hide_navigation(page) -> None:
    button = page.get_by_text("Hide navigation")
    if button.count():
        button.first.click()
        page.wait_for_timeout(1000)


def take(url: str, run_id: str, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 640}, device_scale_factor=1)
        page.goto(url + "/asset-groups")  # groups start collapsed
        page.wait_for_timeout(8000)
        dismiss_dialogs(page)
        hide_navigation(page)
        page.get_by_placeholder("Jump to").locator("xpath=following::button[1]").click()  # hide the groups list
        page.wait_for_timeout(1500)
        page.mouse.move(WIDTH / 2, 360)
        page.keyboard.down("Control")  # ctrl + wheel zooms in: group names at a readable size
        for _ in range(ZOOM_IN_STEPS):
            page.mouse.wheel(0, -60)
            page.wait_for_timeout(300)
        page.keyboard.up("Control")
        page.mouse.move(700, 520)  # the zoom keeps the point under the mouse: pan the groups back to the middle
        page.mouse.down()
        page.mouse.move(700 + PAN_RIGHT, 520, steps=10)
        page.mouse.up()
        page.mouse.move(5, 5)
        page.wait_for_timeout(6000)  # each group's status counts load after the graph
        page.screenshot(path=str(out / "asset-groups.png"))

        page.set_viewport_size({"width": WIDTH, "height": 1000})
        page.goto(f"{url}/runs/{run_id}")
        page.wait_for_timeout(8000)
        dismiss_dialogs(page)
        page.screenshot(path=str(out / "run.png"))
        browser.close()


def main(home: str, out: str) -> None:
    home_path, out_path = Path(home).resolve(), Path(out)
    run_id = last_successful_run(home_path)
    port = free_port()
    server = start_dagster(home_path, port)
    try:
        take(f"http://127.0.0.1:{port}", run_id, out_path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
