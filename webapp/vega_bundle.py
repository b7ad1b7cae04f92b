"""Vega, Vega-Lite and vega-embed for the browser, without the network.

vl-convert-python ships the three libraries (BSD-3-Clause) and bundles them into one
script on request; that takes seconds, so the bundle is written once per vl-convert
version under the home folder and served from there.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import vl_convert

_lock = threading.Lock()


def bundle_path(cache_dir: Path) -> Path:
    versions = f"vega{vl_convert.get_vega_version()}-embed{vl_convert.get_vega_embed_version()}"
    return cache_dir / f"vega-bundle-{versions}.js"


def ensure_bundle(cache_dir: Path) -> Path:
    """The bundle's path, writing it first when this version has none yet."""
    path = bundle_path(cache_dir)
    with _lock:
        if not path.exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            partial.write_text(vl_convert.javascript_bundle(), encoding="utf-8")
            os.replace(partial, path)
    return path
