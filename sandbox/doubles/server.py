"""Serve a world through the vendor doubles: the `Sandbox` and the CLI's foreground server.

    with Sandbox(world_dir, state_dir) as sandbox:
        env = sandbox.env          # SALESFORCE_INSTANCE_URL, ..., REQUESTS_CA_BUNDLE
        sandbox.salesforce.records("Account"); sandbox.hubspot.objects("companies")
        sandbox.request_log.entries("hubspot")

Salesforce is served over HTTPS (simple-salesforce only speaks https), HubSpot over
plain HTTP. Tokens are random per sandbox and only ever printed in the env exports.
"""

from __future__ import annotations

import secrets
import shlex
import sys
import threading
from pathlib import Path
from typing import TextIO

from werkzeug.serving import WSGIRequestHandler, make_server

from sandbox.doubles.common import RequestLog
from sandbox.doubles.hubspot import HubSpotDouble
from sandbox.doubles.product_db import build_product_db
from sandbox.doubles.salesforce import SalesforceDouble
from sandbox.doubles.tls import server_ssl_context
from sandbox.world.format import EVENTS_DIR, read_meta

DEFAULT_PORTS = {"salesforce": 8443, "hubspot": 8444}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # tests read the RequestLog instead
        pass


class Sandbox:
    def __init__(self, world_dir: Path, state_dir: Path, host: str = "127.0.0.1",
                 ports: dict | None = None, page_sizes: dict | None = None, quiet: bool = True):
        self.world_dir = Path(world_dir).resolve()
        self.state_dir = Path(state_dir).resolve()
        self.host = host
        self.ports = {"salesforce": 0, "hubspot": 0, **(ports or {})}
        self.page_sizes = page_sizes or {}
        self.quiet = quiet
        self.request_log = RequestLog()
        self.salesforce: SalesforceDouble | None = None
        self.hubspot: HubSpotDouble | None = None
        self.env: dict[str, str] = {}
        self._servers: list = []
        self._threads: list[threading.Thread] = []

    def start(self) -> dict[str, str]:
        read_meta(self.world_dir)  # fail early, with a clear message, on a non-world folder
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "requests.jsonl"
        log_path.write_text("")
        self.request_log = RequestLog(log_path)
        product_db = build_product_db(self.world_dir, self.state_dir / "product.db")
        ca_path, bundle_path = self.state_dir / "ca.pem", self.state_dir / "ca-bundle.pem"
        tls = server_ssl_context(ca_path, bundle_path)

        sf_token, hs_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.salesforce = SalesforceDouble(self.world_dir, sf_token, self.request_log,
                                           page_size=self.page_sizes.get("salesforce", 2000))
        self.hubspot = HubSpotDouble(self.world_dir, hs_token, self.request_log,
                                     max_page_size=self.page_sizes.get("hubspot", 100))
        sf_port = self._serve(self.salesforce, self.ports["salesforce"], tls)
        hs_port = self._serve(self.hubspot, self.ports["hubspot"], None)

        self.env = {
            "SALESFORCE_INSTANCE_URL": f"https://{self.host}:{sf_port}",
            "SALESFORCE_ACCESS_TOKEN": sf_token,
            "HUBSPOT_BASE_URL": f"http://{self.host}:{hs_port}",
            "HUBSPOT_ACCESS_TOKEN": hs_token,
            "PRODUCT_DB_URL": f"sqlite:///{product_db}",
            "PRODUCT_EVENTS_PATH": str(self.world_dir / EVENTS_DIR),
            # public roots + the local CA: the doubles verify and real HTTPS still works
            "REQUESTS_CA_BUNDLE": str(bundle_path),
        }
        return dict(self.env)

    def _serve(self, app, port: int, ssl_context) -> int:
        handler = _QuietHandler if self.quiet else WSGIRequestHandler
        server = make_server(self.host, port, app, threaded=True, request_handler=handler,
                             ssl_context=ssl_context)
        # a short poll interval keeps stop() quick (tests start a sandbox per test)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"sandbox-{app.vendor}", daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server.server_port

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(world_dir: Path, state_dir: Path, ports: dict | None = None,
                  host: str = "127.0.0.1", out: TextIO = sys.stdout) -> None:
    """Start the sandbox in the foreground, print `export K=V` lines, block until Ctrl-C."""
    sandbox = Sandbox(world_dir, state_dir, host=host, ports={**DEFAULT_PORTS, **(ports or {})}, quiet=False)
    env = sandbox.start()
    try:
        for key, value in env.items():
            print(f"export {key}={shlex.quote(value)}", file=out)
        out.flush()
        print(f"# sandbox serving {sandbox.world_dir.name}; Ctrl-C to stop", file=sys.stderr)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
