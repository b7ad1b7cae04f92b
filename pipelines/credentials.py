"""Contract section 2: each source's settings, read from the environment at run time.

A source whose variables are absent raises `SourceNotConfigured` with one line naming the
variables to set; a base URL that would carry credentials in clear text (`http://` off the
loopback interface) raises `InsecureEndpoint`, which fails the source instead of skipping
it. Secret fields are excluded from `repr` so they never reach a log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cs360_core.configuration import (  # noqa: F401  (re-exported: the sources import them from here)
    InsecureEndpoint, SourceNotConfigured, env as _env, required as _required, require_secure_url,
)

HUBSPOT_PUBLIC_API = "https://api.hubapi.com"
SKILLJAR_PUBLIC_API = "https://api.skilljar.com/v1"
THINKIFIC_PUBLIC_API = "https://api.thinkific.com/api/public/v1"
DELIGHTED_PUBLIC_API = "https://api.delighted.com"
TYPEFORM_PUBLIC_API = "https://api.typeform.com"


@dataclass(frozen=True)
class ProductSettings:
    db_url: str = field(repr=False)  # may embed a password
    events_path: str | None


@dataclass(frozen=True)
class SalesforceSettings:
    instance_url: str | None = None
    access_token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    domain: str | None = None


@dataclass(frozen=True)
class HubSpotSettings:
    base_url: str
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class ZendeskSettings:
    base_url: str
    email: str
    api_token: str = field(repr=False)


@dataclass(frozen=True)
class FreshdeskSettings:
    base_url: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class SurveySettings:
    base_url: str
    api_token: str = field(repr=False)


@dataclass(frozen=True)
class DelightedSettings:
    base_url: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class TypeformSettings:
    base_url: str
    access_token: str = field(repr=False)
    form_ids: tuple[str, ...]
    # where the NPS lives in a response; see pipelines/typeform
    score_ref: str | None = None
    comment_ref: str | None = None
    email_field: str = "email"


@dataclass(frozen=True)
class TrainingSettings:
    base_url: str
    api_token: str = field(repr=False)


@dataclass(frozen=True)
class SkilljarSettings:
    base_url: str
    domain: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class ThinkificSettings:
    base_url: str
    subdomain: str | None = None
    api_key: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)


def product_settings() -> ProductSettings:
    db_url = _env("PRODUCT_DB_URL")
    if not db_url:
        raise SourceNotConfigured("product: PRODUCT_DB_URL is not set, skipping the product source")
    return ProductSettings(db_url=db_url, events_path=_env("PRODUCT_EVENTS_PATH"))


def salesforce_settings() -> SalesforceSettings:
    if _env("SALESFORCE_INSTANCE_URL") and _env("SALESFORCE_ACCESS_TOKEN"):
        return SalesforceSettings(
            instance_url=require_secure_url(_env("SALESFORCE_INSTANCE_URL"), "SALESFORCE_INSTANCE_URL"),
            access_token=_env("SALESFORCE_ACCESS_TOKEN"),
        )
    if _env("SALESFORCE_USERNAME") and _env("SALESFORCE_PASSWORD"):
        return SalesforceSettings(
            username=_env("SALESFORCE_USERNAME"),
            password=_env("SALESFORCE_PASSWORD"),
            security_token=_env("SALESFORCE_SECURITY_TOKEN"),
            domain=_env("SALESFORCE_DOMAIN"),
        )
    raise SourceNotConfigured(
        "salesforce: set SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN "
        "(or SALESFORCE_USERNAME and SALESFORCE_PASSWORD), skipping Salesforce"
    )


def hubspot_settings() -> HubSpotSettings:
    token = _env("HUBSPOT_ACCESS_TOKEN")
    if not token:
        raise SourceNotConfigured("hubspot: HUBSPOT_ACCESS_TOKEN is not set, skipping HubSpot")
    base_url = require_secure_url(_env("HUBSPOT_BASE_URL") or HUBSPOT_PUBLIC_API, "HUBSPOT_BASE_URL")
    return HubSpotSettings(base_url=base_url.rstrip("/"), access_token=token)


def zendesk_settings() -> ZendeskSettings:
    base_url, email, token = _required("Zendesk", "zendesk", "ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")
    base_url = require_secure_url(base_url, "ZENDESK_BASE_URL")
    return ZendeskSettings(base_url=base_url.rstrip("/"), email=email, api_token=token)


def freshdesk_settings() -> FreshdeskSettings:
    base_url, key = _required("Freshdesk", "freshdesk", "FRESHDESK_BASE_URL", "FRESHDESK_API_KEY")
    base_url = require_secure_url(base_url, "FRESHDESK_BASE_URL")
    return FreshdeskSettings(base_url=base_url.rstrip("/"), api_key=key)


def survey_settings() -> SurveySettings:
    base_url, token = _required("the survey tool", "surveys", "SURVEY_BASE_URL", "SURVEY_API_TOKEN")
    base_url = require_secure_url(base_url, "SURVEY_BASE_URL")
    return SurveySettings(base_url=base_url.rstrip("/"), api_token=token)


def delighted_settings() -> DelightedSettings:
    key = _env("DELIGHTED_API_KEY")
    if not key:
        raise SourceNotConfigured("delighted: DELIGHTED_API_KEY is not set, skipping Delighted")
    base_url = require_secure_url(_env("DELIGHTED_BASE_URL") or DELIGHTED_PUBLIC_API, "DELIGHTED_BASE_URL")
    return DelightedSettings(base_url=base_url.rstrip("/"), api_key=key)


def typeform_settings() -> TypeformSettings:
    token, forms = _required("Typeform", "typeform", "TYPEFORM_ACCESS_TOKEN", "TYPEFORM_FORM_IDS")
    form_ids = tuple(dict.fromkeys(f.strip() for f in forms.split(",") if f.strip()))
    if not form_ids:
        raise SourceNotConfigured("typeform: TYPEFORM_FORM_IDS names no form, skipping Typeform")
    base_url = require_secure_url(_env("TYPEFORM_BASE_URL") or TYPEFORM_PUBLIC_API, "TYPEFORM_BASE_URL")
    return TypeformSettings(base_url=base_url.rstrip("/"), access_token=token, form_ids=form_ids,
                            score_ref=_env("TYPEFORM_SCORE_REF"), comment_ref=_env("TYPEFORM_COMMENT_REF"),
                            email_field=_env("TYPEFORM_EMAIL_FIELD") or "email")


def training_settings() -> TrainingSettings:
    base_url, token = _required("the LMS", "training", "LMS_BASE_URL", "LMS_API_TOKEN")
    base_url = require_secure_url(base_url, "LMS_BASE_URL")
    return TrainingSettings(base_url=base_url.rstrip("/"), api_token=token)


def skilljar_settings() -> SkilljarSettings:
    key, domain = _required("Skilljar", "skilljar", "SKILLJAR_API_KEY", "SKILLJAR_DOMAIN")
    base_url = require_secure_url(_env("SKILLJAR_BASE_URL") or SKILLJAR_PUBLIC_API, "SKILLJAR_BASE_URL")
    return SkilljarSettings(base_url=base_url.rstrip("/"), domain=domain, api_key=key)


def thinkific_settings() -> ThinkificSettings:
    """An OAuth access token (THINKIFIC_ACCESS_TOKEN), else the API key with the site's subdomain."""
    base_url = _env("THINKIFIC_BASE_URL") or THINKIFIC_PUBLIC_API
    token = _env("THINKIFIC_ACCESS_TOKEN")
    if token:
        return ThinkificSettings(base_url=require_secure_url(base_url, "THINKIFIC_BASE_URL").rstrip("/"),
                                 access_token=token)
    key, subdomain = _required("Thinkific", "thinkific", "THINKIFIC_API_KEY", "THINKIFIC_SUBDOMAIN")
    return ThinkificSettings(base_url=require_secure_url(base_url, "THINKIFIC_BASE_URL").rstrip("/"),
                             subdomain=subdomain, api_key=key)
