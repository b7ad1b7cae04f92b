"""Named kill points, so recovery tests can kill a real run where it hurts most.

`CS360_KILL_AT=<point>` (or `<point>:<n>`, the n-th pass, default the first) makes the
process SIGKILL itself when it passes `kill_point("<point>")`, exactly as the OOM killer
would: no exception, no `finally`, no flush. A process that leads its own process group
(a shell job, a test harness's child) takes the group with it, so a `dbt build` it runs
dies too. Unset, as in production, a pass costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

ENV = "CS360_KILL_AT"
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
    print(f"{ENV}: killing the process at {wanted}", file=sys.stderr, flush=True)
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
