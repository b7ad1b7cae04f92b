"""Serve a world through the vendor doubles: the `Sandbox` and the CLI's foreground server.

    with Sandbox(world_dir, state_dir, faults=FaultPlan(seed=7)) as sandbox:
        env = sandbox.env          # SALESFORCE_INSTANCE_URL, ..., ALERT_WEBHOOK_URL, REQUESTS_CA_BUNDLE
        sandbox.salesforce.records("Account"); sandbox.hubspot.objects("companies")
        sandbox.zendesk.touch(100001, status="solved"); sandbox.surveys.add_response("INV-000001", 9)
        sandbox.webhook.posts; sandbox.request_log.entries("hubspot")
        sandbox.faults.add("freshdesk", r"/api/v2/tickets", "rate_limit", first=2, retry_after=1)

Salesforce is served over HTTPS (simple-salesforce only speaks https), the others over
plain HTTP. Secrets are random per sandbox and only ever printed in the env exports.
Ports are keyed by system: salesforce, hubspot, zendesk, freshdesk, surveys, delighted,
typeform, lms, webhook (0 picks a free port). The `lms` port serves the world's LMS vendor
(meta.json `lms_vendor`, or `lms_vendor=`): the generic API, Skilljar or Thinkific, each
with its own environment variables.

Every survey double serves the world's answers, but the env exports point the pipeline
at one of them: the world's survey vendor (meta.json `survey_vendor`: generic, the
default, delighted or typeform), or the one named by `survey_vendor=`;
`sandbox.survey_env(vendor)` gives any vendor's variables.
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
from sandbox.doubles.delighted import DelightedDouble
from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.freshdesk import FreshdeskDouble
from sandbox.doubles.hubspot import HubSpotDouble
from sandbox.doubles.lms import LmsDouble
from sandbox.doubles.product_db import build_product_db
from sandbox.doubles.salesforce import SalesforceDouble
from sandbox.doubles.skilljar import SkilljarDouble
from sandbox.doubles.surveys import SurveyDouble
from sandbox.doubles.thinkific import ThinkificDouble
from sandbox.doubles.tls import server_ssl_context
from sandbox.doubles.typeform import TypeformDouble
from sandbox.doubles.webhook import WebhookDouble
from sandbox.doubles.zendesk import ZendeskDouble
from sandbox.world.format import EVENTS_DIR, LMS_VENDORS, lms_vendor, read_meta, survey_vendor

SYSTEMS = ("salesforce", "hubspot", "zendesk", "freshdesk", "surveys", "delighted", "typeform", "lms", "webhook")
DEFAULT_PORTS = {"salesforce": 8443, "hubspot": 8444, "zendesk": 8445, "freshdesk": 8446,
                 "surveys": 8447, "lms": 8448, "webhook": 8449, "delighted": 8460, "typeform": 8461}
ZENDESK_EMAIL = "integration@zendesk.cs360.invalid"


class PortTaken(OSError):
    """A port the sandbox was asked to serve on is taken."""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # tests read the RequestLog instead
        pass


class Sandbox:
    def __init__(self, world_dir: Path, state_dir: Path, host: str = "127.0.0.1",
                 ports: dict | None = None, page_sizes: dict | None = None, quiet: bool = True,
                 faults: FaultPlan | None = None, lms_vendor: str | None = None, survey_vendor: str | None = None):
        if lms_vendor is not None and lms_vendor not in LMS_VENDORS:
            raise ValueError(f"unknown LMS vendor {lms_vendor!r}; one of {', '.join(LMS_VENDORS)}")
        self.lms_vendor = lms_vendor
        self.world_dir = Path(world_dir).resolve()
        self.state_dir = Path(state_dir).resolve()
        self.host = host
        self.ports = {**{s: 0 for s in SYSTEMS}, **(ports or {})}
        self.page_sizes = page_sizes or {}
        self.quiet = quiet
        self.faults = faults if faults is not None else FaultPlan()
        self.request_log = RequestLog()
        self.salesforce: SalesforceDouble | None = None
        self.hubspot: HubSpotDouble | None = None
        self.zendesk: ZendeskDouble | None = None
        self.freshdesk: FreshdeskDouble | None = None
        self.surveys: SurveyDouble | None = None
        self.delighted: DelightedDouble | None = None
        self.typeform: TypeformDouble | None = None
        self.survey_vendor = survey_vendor
        self._survey_env: dict[str, dict[str, str]] = {}
        self.lms: LmsDouble | SkilljarDouble | ThinkificDouble | None = None
        self.webhook: WebhookDouble | None = None
        self.env: dict[str, str] = {}
        self._servers: list = []
        self._threads: list[threading.Thread] = []

    def start(self) -> dict[str, str]:
        meta = read_meta(self.world_dir)  # fail early, with a clear message, on a non-world folder
        self.lms_vendor = self.lms_vendor or lms_vendor(meta)
        vendor = survey_vendor(meta, self.survey_vendor)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "requests.jsonl"
        log_path.write_text("")
        self.request_log = log = RequestLog(log_path)
        product_db = build_product_db(self.world_dir, self.state_dir / "product.db")
        ca_path, bundle_path = self.state_dir / "ca.pem", self.state_dir / "ca-bundle.pem"
        tls = server_ssl_context(ca_path, bundle_path)

        token = {s: secrets.token_urlsafe(32) for s in SYSTEMS}
        world, sizes = self.world_dir, self.page_sizes
        self.salesforce = SalesforceDouble(world, token["salesforce"], log, page_size=sizes.get("salesforce", 2000))
        self.hubspot = HubSpotDouble(world, token["hubspot"], log, max_page_size=sizes.get("hubspot", 100))
        self.zendesk = ZendeskDouble(world, ZENDESK_EMAIL, token["zendesk"], log,
                                     export_page_size=sizes.get("zendesk", 1000))
        self.freshdesk = FreshdeskDouble(world, token["freshdesk"], log)
        self.surveys = SurveyDouble(world, token["surveys"], log)
        self.delighted = DelightedDouble(world, token["delighted"], log)
        self.typeform = TypeformDouble(world, token["typeform"], log)
        self.lms = _lms_double(self.lms_vendor, world, token["lms"], log)
        self.webhook = WebhookDouble(token["webhook"], log)
        apps = {s: getattr(self, s) for s in SYSTEMS}
        for app in apps.values():
            app.faults = self.faults
        port = {s: self._serve(app, self.ports[s], tls if s == "salesforce" else None) for s, app in apps.items()}

        http = {s: f"http://{self.host}:{port[s]}" for s in SYSTEMS}
        self._survey_env = {
            "generic": {"SURVEY_BASE_URL": http["surveys"], "SURVEY_API_TOKEN": token["surveys"]},
            "delighted": {"DELIGHTED_BASE_URL": http["delighted"], "DELIGHTED_API_KEY": token["delighted"]},
            "typeform": {"TYPEFORM_BASE_URL": http["typeform"], "TYPEFORM_ACCESS_TOKEN": token["typeform"],
                         "TYPEFORM_FORM_IDS": ",".join(self.typeform.form_ids.values())},
        }
        self.survey_vendor = vendor
        self.env = {
            "SALESFORCE_INSTANCE_URL": f"https://{self.host}:{port['salesforce']}",
            "SALESFORCE_ACCESS_TOKEN": token["salesforce"],
            "HUBSPOT_BASE_URL": http["hubspot"],
            "HUBSPOT_ACCESS_TOKEN": token["hubspot"],
            "ZENDESK_BASE_URL": http["zendesk"],
            "ZENDESK_EMAIL": ZENDESK_EMAIL,
            "ZENDESK_API_TOKEN": token["zendesk"],
            "FRESHDESK_BASE_URL": http["freshdesk"],
            "FRESHDESK_API_KEY": token["freshdesk"],
            **self._survey_env[vendor],  # the world's survey tool only
            **_lms_env(self.lms, http["lms"], token["lms"]),
            "ALERT_WEBHOOK_URL": http["webhook"] + self.webhook.path,
            "PRODUCT_DB_URL": f"sqlite:///{product_db}",
            "PRODUCT_EVENTS_PATH": str(self.world_dir / EVENTS_DIR),
            # public roots + the local CA: the doubles verify and real HTTPS still works
            "REQUESTS_CA_BUNDLE": str(bundle_path),
        }
        return dict(self.env)

    def survey_env(self, vendor: str) -> dict[str, str]:
        """The variables that point the pipeline at one survey double (generic, delighted,
        typeform), whichever the world uses."""
        return dict(self._survey_env[vendor])

    @property
    def salesforce_login(self) -> dict[str, str]:
        """The username-password login (SOAP, as simple-salesforce does it) for the double,
        as the environment of contract section 2 names it; see salesforce_login."""
        creds = self.salesforce.credentials
        return {"SALESFORCE_USERNAME": creds["username"], "SALESFORCE_PASSWORD": creds["password"],
                "SALESFORCE_SECURITY_TOKEN": creds["security_token"],
                "SALESFORCE_DOMAIN": self.env["SALESFORCE_INSTANCE_URL"].removeprefix("https://") + "/login"}

    def _serve(self, app, port: int, ssl_context) -> int:
        handler = _QuietHandler if self.quiet else WSGIRequestHandler
        try:
            server = make_server(self.host, port, app, threaded=True, request_handler=handler,
                                 ssl_context=ssl_context)
        except SystemExit:  # werkzeug prints why it could not bind and exits: name the system instead
            raise PortTaken(f"{app.vendor}: port {port} on {self.host} is already in use "
                            "(another sandbox running? pick another port or 0 for a free one)") from None
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

    def __enter__(self) -> Sandbox:
        try:
            self.start()
        except BaseException:
            self.stop()  # servers already started must not outlive a failed start
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _lms_double(vendor: str, world: Path, token: str, log: RequestLog):
    if vendor == "skilljar":
        return SkilljarDouble(world, token, log)
    if vendor == "thinkific":
        return ThinkificDouble(world, token, log)
    return LmsDouble(world, token, log)


def _lms_env(double, url: str, token: str) -> dict[str, str]:
    """The variables a company sets for its LMS (README table), pointing at the double."""
    if isinstance(double, SkilljarDouble):
        return {"SKILLJAR_BASE_URL": url + "/v1", "SKILLJAR_API_KEY": token, "SKILLJAR_DOMAIN": double.domain}
    if isinstance(double, ThinkificDouble):
        return {"THINKIFIC_BASE_URL": url + "/api/public/v1", "THINKIFIC_API_KEY": token,
                "THINKIFIC_SUBDOMAIN": double.subdomain}
    return {"LMS_BASE_URL": url, "LMS_API_TOKEN": token}


def serve_forever(world_dir: Path, state_dir: Path, ports: dict | None = None,
                  host: str = "127.0.0.1", out: TextIO = sys.stdout) -> None:
    """Start the sandbox in the foreground, print `export K=V` lines, block until Ctrl-C."""
    sandbox = Sandbox(world_dir, state_dir, host=host, ports={**DEFAULT_PORTS, **(ports or {})}, quiet=False)
    try:
        env = sandbox.start()
        for key, value in env.items():
            print(f"export {key}={shlex.quote(value)}", file=out)
        out.flush()
        print(f"# sandbox serving {sandbox.world_dir.name}; Ctrl-C to stop", file=sys.stderr)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
