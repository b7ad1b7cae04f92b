"""Named kill points, so recovery tests can kill a real run where it hurts most.

`CS360_KILL_AT=<point>` (or `<point>:<n>`, the n-th pass, default the first) makes the
process SIGKILL itself when it passes `kill_point("<point>")`, exactly as the OOM killer
would: no exception, no `finally`, no flush. A process that leads its own process group
(a shell job, a test harness's child) takes the group with it, so a `dbt build` it runs
dies too. Before it dies it appends the point to `$CS360_HOME/kill_points.log` (its
stderr may be a step's captured log), so a harness can tell its kill from a crash.
Unset, as in production, a pass costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

ENV = "CS360_KILL_AT"
# set by a run whose steps run in their own processes (cs360/runner.py) when it leads its
# process group: a kill in a step takes the whole run with it, as in a one-process run
GROUP_ENV = "CS360_KILL_GROUP"
LOG_NAME = "kill_points.log"
POINTS = ("product_event_file", "zendesk_export_page", "dlt_load_job", "dbt_build_event",
          "crm_batch_confirmed", "alert_posted")

_passes: dict[str, int] = {}
_lock = threading.Lock()


def kill_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    with _lock:
        _passes[name] = _passes.get(name, 0) + 1
        if _passes[name] < int(nth or 1):
            return
    note = f"{ENV}: killing the process at {wanted}\n"
    sys.stderr.write(note)
    sys.stderr.flush()
    if os.environ.get("CS360_HOME"):
        with (Path(os.environ["CS360_HOME"]) / LOG_NAME).open("a") as log:
            log.write(note)
    group = os.environ.get(GROUP_ENV)  # a step process of a parallel run: the run's group
    if group:
        os.killpg(int(group), signal.SIGKILL)
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
