"""One way to build a simple-salesforce client, shared by ingestion and reverse ETL."""

from __future__ import annotations

import requests
from simple_salesforce import Salesforce

from pipelines.credentials import SalesforceSettings

API_VERSION = "62.0"


def salesforce_client(settings: SalesforceSettings, session: requests.Session | None = None) -> Salesforce:
    """`session` lets a caller bring its own (e.g. retrying) requests session."""
    if settings.access_token:
        return Salesforce(instance_url=settings.instance_url, session_id=settings.access_token, version=API_VERSION,
                          session=session)
    return Salesforce(
        username=settings.username,
        password=settings.password,
        security_token=settings.security_token or "",
        domain=settings.domain or "login",
        version=API_VERSION,
        session=session,
    )
