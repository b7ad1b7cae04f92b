"""A throwaway local CA so the Salesforce double can speak HTTPS like the real API.

simple-salesforce only builds https:// URLs, so the double must serve TLS; clients trust
it through REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import trustme

HOSTS = ("127.0.0.1", "localhost")


def server_ssl_context(ca_path: Path, bundle_path: Path | None = None) -> ssl.SSLContext:
    """Create a CA, issue a server cert for 127.0.0.1 and localhost, write the CA PEM to
    `ca_path` and return the server-side SSLContext.

    With `bundle_path`, also write the public roots (certifi) followed by the CA there:
    pointing REQUESTS_CA_BUNDLE at that file keeps real HTTPS endpoints verifiable in the
    same process while trusting the double.
    """
    ca = trustme.CA()
    cert = ca.issue_cert(*HOSTS)
    ca_path = Path(ca_path)
    ca_path.parent.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(ca_path))
    if bundle_path is not None:
        roots = Path(certifi.where()).read_bytes()
        Path(bundle_path).write_bytes(roots.rstrip(b"\n") + b"\n" + ca.cert_pem.bytes())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context
