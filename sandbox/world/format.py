"""The world format of contract section 4: which files a world has and their columns.

Only the sandbox reads a world. Worlds written by other generators with exactly these
files and columns must work too, so readers go through this module and never assume
anything the contract does not say (extra columns are ignored, empty cells are None).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

WORLD_TABLES: dict[str, list[str]] = {
    "accounts": ["account_id", "name", "domain", "industry", "employees", "country", "crm", "csm_email", "created_at"],
    "contracts": ["contract_id", "account_id", "start_date", "end_date", "mrr", "seats", "plan", "renewed"],
    "contacts": ["contact_id", "account_id", "email", "first_name", "last_name", "title"],
    # account_id: the truth (never served); empty for a tenant of no account (a trial)
    "tenants": ["tenant_id", "account_id", "name", "signup_email", "created_at"],
    "product_users": ["user_id", "tenant_id", "email", "role", "created_at"],
    "tickets": ["ticket_id", "system", "requester_email", "subject", "priority", "status", "created_at",
                "first_response_at", "solved_at", "csat"],
    "survey_invitations": ["invitation_id", "email", "survey", "sent_at"],
    "survey_responses": ["response_id", "invitation_id", "email", "score", "comment", "responded_at"],
    "courses": ["course_id", "title", "kind"],
    "enrollments": ["enrollment_id", "course_id", "email", "registered_at", "attended_at", "completed_at"],
    # CRM activities; optional: a world without the file has no activity history
    "activities": ["activity_id", "account_id", "crm", "kind", "subject", "owner_email", "contact_id",
                   "occurred_at", "deleted_at"],
}
OPTIONAL_TABLES = {"activities"}
EVENT_COLUMNS = ["event_id", "tenant_id", "user_id", "event_type", "feature", "occurred_at"]
META_KEYS = ["as_of", "seed", "size", "generator"]
# which LMS serves the world's courses and enrollments (extra meta key `lms_vendor`);
# worlds without the key, e.g. from another generator, use the generic API
LMS_VENDORS = ("generic", "skilljar", "thinkific")
DEFAULT_LMS_VENDOR = "generic"
# the survey tool a world's answers are served by (extra meta.json key `survey_vendor`)
SURVEY_VENDORS = ("generic", "delighted", "typeform")
DEFAULT_SURVEY_VENDOR = "generic"
EVENTS_DIR = "events"


class WorldFormatError(ValueError):
    """A world folder does not follow contract section 4."""


def read_meta(world_dir: Path) -> dict:
    path = Path(world_dir) / "meta.json"
    if not path.exists():
        raise WorldFormatError(f"{path} is missing: not a world folder")
    meta = json.loads(path.read_text())
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise WorldFormatError(f"{path} lacks {', '.join(missing)}")
    return meta


def lms_vendor(meta: dict) -> str:
    vendor = meta.get("lms_vendor") or DEFAULT_LMS_VENDOR
    if vendor not in LMS_VENDORS:
        raise WorldFormatError(f"meta.json names lms_vendor {vendor!r}; one of {', '.join(LMS_VENDORS)}")
    return vendor


def survey_vendor(meta: dict, override: str | None = None) -> str:
    """The survey vendor to serve: `override`, else the world's `survey_vendor`, else the
    generic API (worlds from other generators carry no such key)."""
    vendor = override or meta.get("survey_vendor") or DEFAULT_SURVEY_VENDOR
    if vendor not in SURVEY_VENDORS:
        raise WorldFormatError(f"unknown survey vendor {vendor!r}; one of {', '.join(SURVEY_VENDORS)}")
    return vendor


def read_table(world_dir: Path, name: str) -> pd.DataFrame:
    """One world CSV as strings; empty cells become None; only the contract's columns."""
    path = Path(world_dir) / f"{name}.csv"
    if not path.exists() and name in OPTIONAL_TABLES:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WORLD_TABLES[name]})
    if not path.exists():
        raise WorldFormatError(f"{path} is missing")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in WORLD_TABLES[name] if c not in frame.columns]
    if missing:
        raise WorldFormatError(f"{path} lacks columns {', '.join(missing)}")
    frame = frame[WORLD_TABLES[name]]
    return frame.astype(object).where(frame != "", None)


def event_files(world_dir: Path) -> list[Path]:
    files = sorted((Path(world_dir) / EVENTS_DIR).glob("*.parquet"))
    if not files:
        raise WorldFormatError(f"{Path(world_dir) / EVENTS_DIR} has no parquet files")
    return files
