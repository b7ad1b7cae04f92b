"""Runs the web app with uvicorn, after checking the bind address against access control."""

from __future__ import annotations

import uvicorn

from cs360_core.settings import Home
from webapp.access import check_bind, token_from_env
from webapp.app import create_app
from cs360_core.published import published_path
from webapp.vega_bundle import ensure_bundle

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8360


def cache_dir(home: Home):
    return home.root / "webapp"


def serve(home: Home, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log=print) -> None:
    """Raises AccessNotConfigured before binding anything when the address needs a token."""
    token = token_from_env()
    check_bind(host, token)
    ensure_bundle(cache_dir(home))  # seconds on first use; done before the first page asks for it
    app = create_app(published_path(home), cache_dir(home), token=token)
    log(f"cs360 serving {published_path(home)} on http://{host}:{port}/ "
        f"({'token required' if token else 'no access control: loopback only'})")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, access_log=False)
