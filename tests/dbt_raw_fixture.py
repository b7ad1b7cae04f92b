"""Fabricate the raw dlt schemas of the registry of systems (orchestration/systems.py) in a DuckDB file.

Used by tests/test_dbt_project.py to build the dbt project without running ingestion.
Column names are exactly those of the registry (and docs/architecture.md, "Raw tables"); physical types are
the ones dlt produces: TIMESTAMPTZ for timestamps, Salesforce dates as DATE or
'YYYY-MM-DD' strings, HubSpot properties as strings, help-desk ids as numbers, plus
_dlt_load_id and _dlt_id. Every source of the architecture is present (product, both
CRMs, Zendesk, Freshdesk, the survey tool, the LMS); `write_raw_fixture(..., absent=...)`
leaves systems out and `drop_columns` drops columns, as dlt does for an unconfigured
source or an always-null field.

The world's "today" is 2024-06-30 (the latest event, stored with a +09:00 offset so that
only a correct UTC conversion lands it on that day). Product events are deterministic.
Account CUST-0001 (Acme, adoption stage, scorecard v1) is built so that its score on that
day can be computed by hand:

    seats 10 (Salesforce contract 2024-01-01 .. 2025-01-01; the same term is also a
    HubSpot deal: kept once)
    people active 2024-06-01..06-30: 4                 -> utilization 0.40
    logins 2024-06-01..06-30: 20                       -> 2.0 logins per seat
    logins 2024-05-02..05-31: 32                       -> trend 20 / 32 = 0.625
    features used 2024-06-01..06-30: 2 of 8 known      -> breadth 0.25
    tickets created 2024-04-02..06-30: 4               -> 0.4 per seat; 3 breached the SLA
    CSAT in 90 days: 1 good, 1 bad                     -> 0.5
    survey responses in 180 days: 7, 3, 8              -> NPS -33.3 (4 invitations, 3 answered)
    people trained: 2                                  -> 0.2 per seat
    first term                                         -> no relationship data (coverage 0.9)

Umbrella (hubspot:5004) uses the product steadily until April 2024 and collapses in May,
inside its renewal window: one usage_drop, one score_drop and one renewal_at_risk alert.
Acme's detractor (score 3 on 2024-06-15) is the one nps_detractor alert.

Run as a script to write a warehouse for manual dbt runs:
    python tests/dbt_raw_fixture.py DIR                    (writes DIR/warehouse.duckdb)
    python tests/dbt_raw_fixture.py --world WORLD DIR      (a generated world, see write_raw_from_world)
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.systems import SYSTEMS

LOAD_ID = "1719792000.000001"
NEXT_LOAD_ID = "1719878400.000001"  # a day later: dlt gives every load a new, larger id
WORLD_TODAY = date(2024, 6, 30)
FEATURES = ["dashboards", "reports", "exports", "alerts", "integrations", "api", "automations", "sharing"]



def schemas(systems=SYSTEMS) -> dict[str, dict[str, str]]:
    """`raw_<system>.<table>` -> {column: DuckDB type}, from the registry of systems."""
    return {f"{system.raw_dataset}.{table}": dict(columns)
            for system in systems for table, columns in system.raw_tables.items()}


# Every raw table of the registry (orchestration/systems.py), with the column order the rows below follow.
SCHEMAS: dict[str, dict[str, str]] = schemas()

# the systems a company may not have: `write_raw_fixture(absent=...)` leaves them out
OPTIONAL_SYSTEMS = ("hubspot", "zendesk", "freshdesk", "surveys", "training")

# Salesforce record ids (18 characters, standard prefixes)
SF_ACME, SF_INITECH, SF_STARK, SF_DELETED = (
    "001000000000001AAA", "001000000000003AAA", "001000000000005AAA", "001000000000009AAA")
SF_ALICE, SF_BOB = "005000000000001AAA", "005000000000002AAA"
HS_ACME, HS_GLOBEX, HS_UMBRELLA, HS_BAKERY, HS_ARCHIVED = "5001", "5002", "5004", "5006", "5008"

# the warehouse account_id each fabricated account must get
ACCOUNT_IDS = {
    "acme": "CUST-0001",                      # in both CRMs, same customer number
    "globex": "CUST-0002",                    # HubSpot only
    "initech": f"salesforce:{SF_INITECH}",    # Salesforce, no customer number, churned
    "umbrella": f"hubspot:{HS_UMBRELLA}",     # HubSpot, no customer number, in renewal
    "stark": "CUST-0005",                     # Salesforce, no product tenant
    "bakery": "CUST-0006",                    # HubSpot, its domain is a free-mail domain, no contract
}


def ts(value: str) -> datetime:
    """'2024-06-01' or '2024-06-01 10:00' (UTC) or with an explicit offset."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def d(value: str) -> date:
    return date.fromisoformat(value)


def days(first: str, last: str, every: int, offset: int = 0) -> list[date]:
    """Every `every` days from first (+offset) to last, inclusive."""
    start, end = d(first) + timedelta(days=offset), d(last)
    return [start + timedelta(days=n) for n in range(0, (end - start).days + 1, every)]


def crm_rows() -> dict[str, list[tuple]]:
    created, modstamp = ts("2023-01-10 09:00"), ts("2024-06-01 09:00")
    return {
        "raw_salesforce.users": [
            (SF_ALICE, "csm.alice@vendor.example", "Alice Abe", True, modstamp),
            (SF_BOB, "csm.bob@vendor.example", "Bob Baba", True, modstamp),
        ],
        "raw_salesforce.accounts": [
            (SF_ACME, "Acme Corporation", "CUST-0001", "https://www.Acme.example/home", "Software", 250, "Japan",
             "Customer", SF_ALICE, ts("2023-12-01 10:00"), modstamp, False),
            (SF_INITECH, "Initech", None, "http://initech.example", "Finance", 80, "Japan",
             "Former Customer", SF_BOB, created, modstamp, False),
            (SF_STARK, "Stark Industries", "CUST-0005", "stark.example", "Manufacturing", 5000, "United States",
             "Customer", SF_ALICE, ts("2024-01-20 10:00"), modstamp, False),
            (SF_DELETED, "Deleted Co", "CUST-0009", "deleted.example", "Retail", 10, "Japan",
             "Customer", SF_BOB, created, modstamp, True),
        ],
        "raw_salesforce.contacts": [
            ("003000000000001AAA", SF_ACME, "taro@acme.example", "Taro", "Yamada", "CTO", created, modstamp, False),
            # a consultant kept as a contact of two accounts (Acme here, Globex in HubSpot)
            ("003000000000002AAA", SF_ACME, "Pat@Consult.example", "Pat", "Lee", "Advisor", created, modstamp,
             False),
            ("003000000000003AAA", SF_INITECH, "peter@initech.example", "Peter", "Gibbons", "Engineer", created,
             modstamp, False),
        ],
        "raw_salesforce.contracts": [
            ("800000000000001AAA", SF_ACME, "00000101", "2024-01-01", "2025-01-01", "Activated", 12, 1000.0, 10.0,
             "pro", created, modstamp, False),
            # deleted: would otherwise be Acme's covering contract (latest start, 99 seats)
            ("800000000000002AAA", SF_ACME, "00000102", "2024-03-01", "2025-03-01", "Activated", 12, 9999.0, 99.0,
             "pro", created, modstamp, True),
            ("800000000000003AAA", SF_INITECH, "00000103", "2023-05-01", "2024-05-01", "Expired", 12, 500.0, 5.0,
             "starter", created, modstamp, False),
            ("800000000000005AAA", SF_STARK, "00000105", "2024-02-01", "2025-02-01", "Activated", 12, 3000.0, 20.0,
             "enterprise", created, modstamp, False),
            ("800000000000009AAA", SF_DELETED, "00000109", "2024-01-01", "2025-01-01", "Activated", 12, 100.0, 1.0,
             "starter", created, modstamp, False),
        ],
        "raw_salesforce.opportunities": [
            ("006000000000001AAA", SF_ACME, "Acme new business", "New Business", "Closed Won", d("2023-12-20"),
             12000.0, True, True, created, modstamp, False),
            ("006000000000003AAA", SF_INITECH, "Initech new business", "New Business", "Closed Won",
             d("2023-04-25"), 6000.0, True, True, created, modstamp, False),
            ("006000000000004AAA", SF_INITECH, "Initech renewal", "Renewal", "Closed Lost", d("2024-05-01"),
             6000.0, True, False, created, modstamp, False),
            ("006000000000005AAA", SF_STARK, "Stark new business", "New Business", "Closed Won", d("2024-01-25"),
             36000.0, True, True, created, modstamp, False),
        ],
        "raw_hubspot.owners": [
            ("101", "csm.carol@vendor.example", "Carol", "Chiba", False),
            ("102", "Csm.Dave@Vendor.example", "Dave", "Doi", False),
        ],
        "raw_hubspot.companies": [
            # Acme is kept in HubSpot too, with the same customer number
            (HS_ACME, "Acme Corporation", "acme.example", "Software", "250", "Japan", "CUST-0001", "101",
             "customer", "active", ts("2023-12-02 10:00"), modstamp, False),
            (HS_GLOBEX, "Globex K.K.", "globex.example", "Logistics", "120", "Japan", "CUST-0002", "102",
             "customer", "active", ts("2024-04-01 10:00"), modstamp, False),
            (HS_UMBRELLA, "Umbrella GmbH", "www.Umbrella.example", "Pharma", "900", "Germany", None, "102",
             "customer", "active", ts("2022-07-01 10:00"), modstamp, False),
            # a small business that uses a free-mail domain as its own: never a domain match
            (HS_BAKERY, "Mom & Pop Bakery", "gmail.com", "Retail", "4", "Japan", "CUST-0006", "101",
             "lead", None, ts("2024-02-01 10:00"), modstamp, False),
            (HS_ARCHIVED, "Archived Ltd", "archived.example", "Retail", "5", "Japan", "CUST-0008", "101",
             "customer", "active", created, modstamp, True),
        ],
        "raw_hubspot.contacts": [
            ("7001", "hanako@globex.example", "Hanako", "Sato", "Ops lead", HS_GLOBEX, created, modstamp, False),
            ("7002", "pat@consult.example", "Pat", "Lee", "Advisor", HS_GLOBEX, created, modstamp, False),
            ("7004", "alice@umbrella.example", "Alice", "Wesker", "CIO", HS_UMBRELLA, created, modstamp, False),
        ],
        "raw_hubspot.deals": [
            # Acme's term is kept in HubSpot as well: the same contract, counted once
            ("9001", HS_ACME, "Acme new business", "newbusiness", "closedwon", "default", "12000",
             ts("2023-12-20 00:00"), "2024-01-01", "2025-01-01", "1000", "10", "pro", created, modstamp, False),
            ("9002", HS_GLOBEX, "Globex new business", "newbusiness", "closedwon", "default", "9600",
             ts("2024-04-10 00:00"), "2024-04-15", "2025-04-15", "800", "8", "pro", created, modstamp, False),
            # won but no contract dates (one-off services): not a contract term
            ("9003", HS_GLOBEX, "Globex onboarding package", "newbusiness", "closedwon", "default", "2000",
             ts("2024-04-10 00:00"), None, None, None, None, None, created, modstamp, False),
            # archived: not a contract term
            ("9005", HS_GLOBEX, "Globex upsell (deleted)", "existingbusiness", "closedwon", "default", "99999",
             ts("2024-05-01 00:00"), "2024-05-01", "2025-05-01", "9999", "100", "enterprise", created,
             modstamp, True),
            ("9041", HS_UMBRELLA, "Umbrella new business", "newbusiness", "closedwon", "default", "14400",
             ts("2022-07-25 00:00"), "2022-08-01", "2023-08-01", "1200", "12", "pro", created, modstamp, False),
            ("9042", HS_UMBRELLA, "Umbrella renewal 2023", "existingbusiness", "closedwon", "default", "18000",
             ts("2023-07-25 00:00"), "2023-08-01", "2024-08-01", "1500", "15", "pro", created, modstamp, False),
            # lost upsell with contract dates: not a contract term
            ("9043", HS_UMBRELLA, "Umbrella upsell", "existingbusiness", "closedlost", "default", "5000",
             ts("2024-03-01 00:00"), "2024-03-01", "2025-03-01", "500", "50", "enterprise", created,
             modstamp, False),
        ],
    }


TENANTS = [
    # tenant_id, name, signup_email, created_at, crm_account_id
    ("t-acme", "Acme", "admin@acme.example", ts("2023-12-15 08:00"), None),             # email_domain
    ("t-acme-2", "ACME Corp.", "it@acme-sandbox.example", ts("2024-02-01 08:00"), None),  # normalized_name
    ("t-globex", "GLOBEX, K.K.", "ops@gmail.com", ts("2024-04-10 08:00"), None),        # free mail -> name
    ("t-globex-2", "Globex Research", "lab@globex-research.example", ts("2024-05-01 08:00"),
     "cust-0002"),                                                                        # crm_id
    ("t-initech", "Initech", "peter@INITECH.example", ts("2023-04-20 08:00"), None),    # contact_email
    ("t-umbrella", "Umbrella Corp", "admin@umbrella.example", ts("2022-07-20 08:00"), None),  # email_domain
    ("t-shared", "Joint Project", "lead@acme.example", ts("2024-05-05 08:00"), None),   # conflict: 2 Acme, 1 Umbrella
    ("t-hooli", "Hooli Labs", "founder@hooli.example", ts("2024-03-01 08:00"), None),   # unmatched
]

TENANT_ACCOUNT = {
    "t-acme": "CUST-0001", "t-acme-2": "CUST-0001", "t-globex": "CUST-0002", "t-globex-2": "CUST-0002",
    "t-initech": f"salesforce:{SF_INITECH}", "t-umbrella": f"hubspot:{HS_UMBRELLA}", "t-shared": "CUST-0001",
    "t-hooli": None,
}

# users that never caused an event (the others are derived from the events)
QUIET_USERS = [
    ("u-shared-1", "t-shared", "u-shared-1@acme.example"),
    ("u-shared-2", "t-shared", "u-shared-2@umbrella.example"),
]


def user_email(user: str, tenant: str) -> str:
    # Globex's people sign up with their private free-mail addresses
    domain = "gmail.com" if tenant == "t-globex" else f"{tenant[2:]}.example"
    return f"{user}@{domain}"


def acme_events() -> list[tuple[str, str, str | None, datetime]]:
    """(user, event_type, feature, occurred_at) of tenant t-acme; see the module docstring."""
    events: list[tuple[str, str, str | None, datetime]] = []

    def logins(user: str, on_days: list[str]) -> None:
        events.extend((user, "login", None, ts(f"{day} 09:00")) for day in on_days)

    # current window 2024-06-01..06-30: 20 logins by 4 people, features dashboards + reports
    logins("u-acme-1", ["2024-06-01", "2024-06-04", "2024-06-08", "2024-06-12", "2024-06-16", "2024-06-20",
                        "2024-06-24"])
    events.append(("u-acme-1", "login", None, ts("2024-07-01 08:30:00+09:00")))  # 2024-06-30 23:30 UTC
    logins("u-acme-2", ["2024-06-02", "2024-06-07", "2024-06-13", "2024-06-18", "2024-06-23", "2024-06-28"])
    logins("u-acme-3", ["2024-06-05", "2024-06-15", "2024-06-22", "2024-06-29"])
    logins("u-acme-4", ["2024-06-10", "2024-06-26"])
    events += [
        ("u-acme-1", "feature_used", "dashboards", ts("2024-06-03 10:00")),
        ("u-acme-1", "feature_used", "dashboards", ts("2024-06-17 10:00")),
        ("u-acme-2", "feature_used", "reports", ts("2024-06-09 10:00")),
        ("u-acme-1", "feature_used", "reports", ts("2024-06-25 10:00")),
    ]
    # previous window 2024-05-02..05-31: 32 logins (u-acme-5 last seen on 05-31)
    logins("u-acme-1", [f"2024-05-{day:02d}" for day in (2, 5, 8, 11, 14, 17, 20, 23, 26, 29)])
    logins("u-acme-2", [f"2024-05-{day:02d}" for day in (3, 7, 11, 15, 19, 23, 27, 30)])
    logins("u-acme-3", [f"2024-05-{day:02d}" for day in (4, 9, 14, 19, 24, 28)])
    logins("u-acme-4", [f"2024-05-{day:02d}" for day in (6, 13, 20, 27)])
    logins("u-acme-5", [f"2024-05-{day:02d}" for day in (10, 18, 25, 31)])
    events += [
        ("u-acme-1", "feature_used", "dashboards", ts("2024-05-05 10:00")),
        ("u-acme-3", "feature_used", "exports", ts("2024-05-10 10:00")),
        ("u-acme-5", "feature_used", "alerts", ts("2024-05-20 10:00")),
    ]
    # the first use (the onboarding course was completed on 01-20): setup done on 02-10
    logins("u-acme-1", ["2024-02-10"])
    # before that: weekly logins since March; u-acme-6 last seen on 05-01 (61 days before today)
    for week in range(9):
        day = date(2024, 3, 4) + timedelta(days=7 * week)
        for user in ("u-acme-1", "u-acme-2", "u-acme-6"):
            events.append((user, "login", None, ts(f"{day.isoformat()} 11:00")))
    events.append(("u-acme-6", "login", None, ts("2024-05-01 12:00")))
    events += [
        ("u-acme-6", "feature_used", "integrations", ts("2024-03-12 10:00")),
        ("u-acme-2", "feature_used", "api", ts("2024-04-02 10:00")),
    ]
    return events


def background_events() -> list[tuple[str, str, str, str | None, datetime]]:
    """(tenant, user, event_type, feature, occurred_at) of the other tenants, deterministic.

    Umbrella: 6 people log in every 3 days and use a feature every 6 days (cycling through
    the catalogue) until 2024-04-30; in May only one person logs in, every 6 days, in June
    every 10 days.
    Initech: 3 people every 4 days until 2024-04-25 (its contract ends 05-01, not renewed).
    Globex: 4 people every 2 days from 2024-04-16. Hooli (unmatched): 2 people every 5 days.
    """
    rows: list[tuple[str, str, str, str | None, datetime]] = []

    def steady(tenant: str, n_users: int, first: str, last: str, every: int, feature_every: int | None) -> None:
        for user_no in range(1, n_users + 1):
            user = f"u-{tenant[2:]}-{user_no}"
            for day in days(first, last, every, offset=user_no - 1):
                rows.append((tenant, user, "login", None, datetime(day.year, day.month, day.day, 8 + user_no,
                                                                      tzinfo=timezone.utc)))
            if feature_every:
                for n, day in enumerate(days(first, last, feature_every, offset=user_no - 1)):
                    feature = FEATURES[(n + user_no) % len(FEATURES)]
                    rows.append((tenant, user, "feature_used", feature,
                                 datetime(day.year, day.month, day.day, 15, tzinfo=timezone.utc)))

    steady("t-umbrella", 6, "2023-05-03", "2024-04-30", 3, 6)
    steady("t-umbrella", 1, "2024-05-02", "2024-05-31", 6, None)
    steady("t-umbrella", 1, "2024-06-01", "2024-06-29", 10, None)
    steady("t-initech", 3, "2023-05-03", "2024-04-25", 4, 8)
    steady("t-globex", 4, "2024-04-16", "2024-06-30", 2, 4)
    steady("t-hooli", 2, "2024-03-03", "2024-06-30", 5, 10)
    return rows


def product_rows() -> dict[str, list[tuple]]:
    events = [("t-acme", user, kind, feature, at) for user, kind, feature, at in acme_events()]
    events += background_events()
    events.sort(key=lambda row: (row[4], row[0], row[1]))
    created = {tenant[0]: tenant[3] for tenant in TENANTS}
    users = sorted({(row[1], row[0]) for row in events})
    return {
        "raw_product.tenants": TENANTS,
        "raw_product.users": [
            (user, tenant, user_email(user, tenant), "admin" if user.endswith("-1") else "member", created[tenant])
            for user, tenant in users
        ] + [(user, tenant, email, "member", created[tenant]) for user, tenant, email in QUIET_USERS],
        "raw_product.events": [(f"e-{n:05d}", *row) for n, row in enumerate(events, start=1)],
    }


# --- help desks, surveys, training ---------------------------------------------------------

ZD_TARO, ZD_NOBODY, ZD_AGENT = 9001, 9002, 9003
FD_ACME, FD_GLOBEX = 301, 302


def support_rows() -> dict[str, list[tuple]]:
    """Acme's four tickets of the last 90 days (see the SLA policy seed):

    T1 zendesk urgent  06-10 09:00  reply 30 min,  solved 06-10 15:00   no breach, CSAT good
    T2 zendesk high    06-12 09:00  reply 300 min (> 240), solved 06-13 08:00  breached 06-12 13:00, CSAT bad
    T3 freshdesk normal 06-20 10:00 reply 06-20 12:00, unresolved: resolution due 06-22 10:00 -> breached
    T4 freshdesk low   06-29 20:00  no reply: due 06-30 20:00 -> breached by the end of 06-30
    plus an older Acme ticket (03-01), a Globex ticket by a free-mail requester who is a product
    user, and one by a requester nobody knows.
    """
    updated = ts("2024-06-30 12:00")
    return {
        "raw_zendesk.users": [
            (ZD_TARO, "Taro@Acme.example", "Taro Yamada", updated),
            (ZD_NOBODY, "nobody@unknown-co.example", "Nobody", updated),
            (ZD_AGENT, "agent@vendor.example", "Support Agent", updated),
        ],
        "raw_zendesk.tickets": [
            (1000, ZD_TARO, "Cannot export", "normal", "closed", ts("2024-03-01 09:00"), ts("2024-03-02 09:00"),
             "good"),
            (1001, ZD_TARO, "Login outage", "urgent", "solved", ts("2024-06-10 09:00"), ts("2024-06-10 18:00"),
             "good"),
            (1002, ZD_TARO, "Slow dashboards", "high", "solved", ts("2024-06-12 09:00"), ts("2024-06-13 10:00"),
             "bad"),
            (1003, ZD_NOBODY, "Pricing question", None, "open", ts("2024-06-25 09:00"), ts("2024-06-25 09:00"),
             "unoffered"),
            # deleted: the incremental export hands it back once with status 'deleted'
            (1004, ZD_TARO, "Spam: win a prize", "urgent", "deleted", ts("2024-06-26 09:00"),
             ts("2024-06-26 10:00"), "unoffered"),
        ],
        "raw_zendesk.ticket_metrics": [
            (5000, 1000, ts("2024-03-01 09:00"), ts("2024-03-02 09:00"), 60, 1440, ts("2024-03-02 09:00")),
            (5001, 1001, ts("2024-06-10 09:00"), ts("2024-06-10 15:00"), 30, 360, ts("2024-06-10 15:00")),
            (5002, 1002, ts("2024-06-12 09:00"), ts("2024-06-13 08:00"), 300, 1380, ts("2024-06-13 08:00")),
            (5003, 1003, ts("2024-06-25 09:00"), ts("2024-06-25 09:00"), None, None, None),
        ],
        "raw_zendesk.satisfaction_ratings": [
            (7000, 1000, ZD_TARO, "good", ts("2024-03-02 10:00"), ts("2024-03-02 10:00")),
            (7001, 1001, ZD_TARO, "good", ts("2024-06-10 18:00"), ts("2024-06-10 18:00")),
            (7002, 1002, ZD_TARO, "bad", ts("2024-06-13 10:00"), ts("2024-06-13 10:00")),
        ],
        "raw_zendesk._rejected_records": [
            ("tickets", '{"id": null, "subject": "broken"}', "missing primary key id", ts("2024-06-30 06:00")),
        ],
        "raw_freshdesk.tickets": [
            (2001, FD_ACME, "u-acme-2@acme.example", "Report totals wrong", 2, 2, ts("2024-06-20 10:00"),
             ts("2024-06-20 12:00"), None, None, ts("2024-06-20 12:00"), None, False),
            (2002, FD_ACME, "u-acme-2@acme.example", "How do I share?", 1, 2, ts("2024-06-29 20:00"),
             ts("2024-06-29 20:00"), None, None, None, None, False),
            (2003, FD_GLOBEX, "u-globex-1@gmail.com", "API limits", 3, 5, ts("2024-05-20 10:00"),
             ts("2024-05-21 10:00"), None, None, ts("2024-05-20 11:00"), ts("2024-05-20 18:00"), False),
            # deleted in Freshdesk (read through filter=deleted): counts nowhere
            (2004, FD_ACME, "u-acme-2@acme.example", "Duplicate of 2001", 4, 2, ts("2024-06-21 10:00"),
             ts("2024-06-21 11:00"), None, None, None, None, True),
        ],
        "raw_freshdesk.satisfaction_ratings": [
            (8001, 2003, 103, ts("2024-05-21 10:00"), ts("2024-05-21 10:00")),
        ],
    }


def survey_rows() -> dict[str, list[tuple]]:
    """Acme in the 180 days up to 06-30: responses 7, 3 (a detractor, on 06-15), 8 -> NPS -33.3;
    4 invitations sent, 3 answered. Older: a 10 in 2023-11. pat@consult.example is a contact
    of two accounts: their answer cannot be attributed."""
    def invitation(inv_id: str, email: str, survey: str, sent: str) -> tuple:
        return (inv_id, email, survey, ts(sent), ts(sent))

    def response(resp_id: str, inv_id: str, email: str, score: int, comment: str | None, at: str) -> tuple:
        return (resp_id, inv_id, email, score, comment, ts(at), ts(at))

    return {
        "raw_surveys.invitations": [
            invitation("I0", "taro@acme.example", "nps_30d", "2023-10-30 09:00"),
            invitation("I1", "taro@acme.example", "nps_90d", "2024-05-08 09:00"),
            invitation("I2", "admin@acme.example", "relationship", "2024-06-14 09:00"),
            invitation("I3", "u-acme-1@acme.example", "relationship", "2024-06-18 09:00"),
            invitation("I4", "u-acme-2@acme.example", "relationship", "2024-06-18 09:00"),
            invitation("I5", "hanako@globex.example", "nps_30d", "2024-05-15 09:00"),
            invitation("I6", "pat@consult.example", "relationship", "2024-06-01 09:00"),
        ],
        "raw_surveys.responses": [
            response("R0", "I0", "taro@acme.example", 10, "great start", "2023-11-01 10:00"),
            response("R1", "I1", "taro@acme.example", 7, None, "2024-05-10 11:00"),
            response("R2", "I2", "Admin@Acme.example", 3, "too slow lately", "2024-06-15 10:00"),
            response("R3", "I3", "u-acme-1@acme.example", 8, "", "2024-06-20 12:00"),
            response("R5", "I5", "hanako@globex.example", 10, "love it", "2024-05-16 10:00"),
            response("R6", "I6", "pat@consult.example", 2, "not for us", "2024-06-02 10:00"),
        ],
    }


def training_rows() -> dict[str, list[tuple]]:
    return {
        "raw_training.courses": [
            ("C1", "Getting started", "onboarding", ts("2023-01-01 00:00")),
            ("C2", "Dashboards deep dive", "webinar", ts("2023-01-01 00:00")),
            ("C3", "Certified admin", "certification", ts("2023-01-01 00:00")),
        ],
        "raw_training.enrollments": [
            ("E1", "C1", "taro@acme.example", ts("2024-01-10 09:00"), ts("2024-01-20 09:00"), ts("2024-01-20 10:00"),
             ts("2024-01-20 10:00")),
            ("E2", "C2", "u-acme-1@acme.example", ts("2024-04-01 09:00"), ts("2024-04-10 09:00"),
             ts("2024-04-10 10:00"), ts("2024-04-10 10:00")),
            ("E3", "C2", "u-acme-2@acme.example", ts("2024-04-01 09:00"), None, None, ts("2024-04-01 09:00")),
            ("E4", "C1", "peter@initech.example", ts("2023-05-05 09:00"), ts("2023-05-10 09:00"),
             ts("2023-05-10 10:00"), ts("2023-05-10 10:00")),
            ("E5", "C3", "external@gmail.com", ts("2024-05-01 09:00"), None, None, ts("2024-05-01 09:00")),
        ],
    }


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple],
            tables: dict[str, dict[str, str]] = SCHEMAS, load_id: str = LOAD_ID) -> None:
    if not rows:
        return
    columns = list(tables[table])
    offset = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    # set-based: a frame of the rows, cast to the table's types (executemany is slow)
    frame = pd.DataFrame([(*row, load_id, f"{table}-{offset + n}") for n, row in enumerate(rows)],
                         columns=[*columns, "_dlt_load_id", "_dlt_id"], dtype=object)
    casts = ", ".join(f"cast({name} as {kind})" for name, kind in
                      [*tables[table].items(), ("_dlt_load_id", "VARCHAR"), ("_dlt_id", "VARCHAR")])
    con.register("incoming_rows", frame)
    try:
        con.execute(f"insert into {table} select {casts} from incoming_rows")
    finally:
        con.unregister("incoming_rows")


def write_raw_fixture(db_path: Path, absent: tuple[str, ...] = (),
                      drop_columns: dict[str, list[str]] | None = None, systems=SYSTEMS) -> Path:
    """Create the raw schemas with the fabricated rows; returns the database path.

    systems: the registry (a test adds a toy system: its tables are created, empty).
    absent: systems (e.g. "hubspot", "surveys") whose raw tables are not created at all, as
    when `cs360 run` skips an unconfigured source. drop_columns: {table: [column, ...]}
    dropped after loading, as when dlt never saw a value for a field.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    data = {**crm_rows(), **product_rows(), **support_rows(), **survey_rows(), **training_rows()}
    tables = schemas(systems)
    with duckdb.connect(str(db_path)) as con:
        for table, columns in tables.items():
            schema = table.split(".")[0]
            if schema.removeprefix("raw_") in absent:
                continue
            con.execute(f"create schema if not exists {schema}")
            ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            con.execute(f"create or replace table {table} ({ddl}, _dlt_load_id VARCHAR not null, "
                        f"_dlt_id VARCHAR not null)")
            _insert(con, table, data.get(table, []), tables)
        for table, columns in (drop_columns or {}).items():
            for column in columns:
                con.execute(f"alter table {table} drop column {column}")
    return db_path


def add_events(db_path: Path, rows: list[tuple[str, str, str, str | None, datetime]]) -> None:
    """Append (event_id, tenant_id, user_id, event_type, feature, occurred_at) rows, as the
    next load."""
    with duckdb.connect(str(db_path)) as con:
        _insert(con, "raw_product.events", rows, load_id=NEXT_LOAD_ID)


# --- one customer in both CRMs without the customer number (tests/test_identity_crm.py) ------

SF_GLOBEX, SF_UMBRELLA, SF_WAYNE, SF_CYBERDYNE, SF_BAKERY = (
    "001000000000011AAA", "001000000000012AAA", "001000000000013AAA", "001000000000014AAA",
    "001000000000015AAA")
HS_INITECH_UK, HS_INITECH, HS_SOYLENT, HS_WAYNE, HS_CYBERDYNE, HS_CYBERDYNE_JP = (
    "5011", "5012", "5013", "5014", "5015", "5016")


def cross_crm_rows() -> dict[str, list[tuple]]:
    """Salesforce Accounts typed without an AccountNumber, and the HubSpot companies they may be:

    Globex Corporation   website of HubSpot's Globex K.K. (CUST-0002)     -> merged by domain
    UMBRELLA             no website; HubSpot's Umbrella GmbH has no number -> merged by name,
                                                                             'salesforce:<Id>'
    Mom & Pop Bakery Ltd website gmail.com (free mail, no evidence)        -> merged by name (CUST-0006)
    Initech (existing)   two HubSpot companies named Initech              -> ambiguous name, no merge
    Wayne Enterprises    website of Soylent, name of HubSpot's Wayne      -> rules disagree, no merge
    Cyberdyne            two HubSpot companies on cyberdyne.example        -> ambiguous domain, no merge
    """
    created, modstamp = ts("2024-03-01 09:00"), ts("2024-06-01 09:00")
    sf = [  # id, name, number, website, industry, employees, country, type, owner
        (SF_GLOBEX, "Globex Corporation", None, "https://globex.example/jp", "Logistics", 120, "Japan",
         "Customer", "005000000000002AAA"),
        (SF_UMBRELLA, "UMBRELLA", None, None, "Pharma", 900, "Germany", "Customer", "005000000000002AAA"),
        (SF_BAKERY, "Mom & Pop Bakery Ltd", "", "https://gmail.com/", "Retail", 4, "Japan", "Customer",
         "005000000000001AAA"),
        (SF_WAYNE, "Wayne Enterprises Inc.", None, "www.soylent.example", "Retail", 50, "United States",
         "Customer", "005000000000001AAA"),
        (SF_CYBERDYNE, "Cyberdyne", None, "http://cyberdyne.example", "Robotics", 70, "United States",
         "Customer", "005000000000001AAA"),
    ]
    hs = [  # id, name, domain, customer_id
        (HS_INITECH_UK, "Initech Ltd", "initech.co.uk", "CUST-0011"),
        (HS_INITECH, "INITECH 株式会社", None, None),
        (HS_SOYLENT, "Soylent", "soylent.example", "CUST-0013"),
        (HS_WAYNE, "Wayne Enterprises", "wayne.example", "CUST-0014"),
        (HS_CYBERDYNE, "Cyberdyne Systems", "cyberdyne.example", "CUST-0015"),
        (HS_CYBERDYNE_JP, "Cyberdyne Japan", "https://www.Cyberdyne.example", "CUST-0016"),
    ]
    return {
        "raw_salesforce.accounts": [(*row, created, modstamp, False) for row in sf],
        "raw_hubspot.companies": [
            (cid, name, domain, "Retail", "10", "Japan", number, "101", "customer", "active", created, modstamp,
             False)
            for cid, name, domain, number in hs],
    }


def add_rows(db_path: Path, data: dict[str, list[tuple]]) -> None:
    """Append rows ({table: [row, ...]}, columns as in SCHEMAS) to a fixture warehouse."""
    with duckdb.connect(str(db_path)) as con:
        for table, rows in data.items():
            _insert(con, table, rows)


def _df(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def write_raw_from_world(world_dir: Path, db_path: Path, skip: tuple[str, ...] = ()) -> Path:
    """A world folder (contract section 4) straight into raw_* tables, without the vendor
    APIs: CRM records as the sandbox seeds them, the other systems mapped column by column
    (requester ids derived from e-mails). A measurement aid to build the dbt project on S / M
    worlds quickly (e.g. score_validation, identity precision vs tenants.csv); the real path
    is `cs360 demo`. `skip`: systems to leave out ("hubspot", "surveys", ...).
    """
    from sandbox.doubles.common import stable_int
    from sandbox.doubles.crm_world import load_crm_world
    from sandbox.doubles.helpdesk_world import calendar_minutes, load_helpdesk
    from sandbox.doubles.hubspot_schema import seed_hubspot
    from sandbox.doubles.salesforce_seed import seed_salesforce
    from sandbox.world.format import read_table

    world_dir, db_path = Path(world_dir), Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame] = {}

    def table(name: str, records, fields: dict[str, str]) -> None:
        """fields: raw column -> key of the source record."""
        tables[name] = _df([tuple(r.get(k) for k in fields.values()) for r in records], list(fields))

    crm = load_crm_world(world_dir)
    sf = seed_salesforce(crm)
    stamps = {"created_date": "CreatedDate", "system_modstamp": "SystemModstamp", "is_deleted": "IsDeleted"}
    table("raw_salesforce.accounts", sf["Account"].values(), {
        "id": "Id", "name": "Name", "account_number": "AccountNumber", "website": "Website",
        "industry": "Industry", "number_of_employees": "NumberOfEmployees", "billing_country": "BillingCountry",
        "type": "Type", "owner_id": "OwnerId", **stamps})
    table("raw_salesforce.contacts", sf["Contact"].values(), {
        "id": "Id", "account_id": "AccountId", "email": "Email", "first_name": "FirstName",
        "last_name": "LastName", "title": "Title", **stamps})
    table("raw_salesforce.contracts", sf["Contract"].values(), {
        "id": "Id", "account_id": "AccountId", "contract_number": "ContractNumber", "start_date": "StartDate",
        "end_date": "EndDate", "status": "Status", "contract_term": "ContractTerm", "mrr__c": "MRR__c",
        "seats__c": "Seats__c", "plan__c": "Plan__c", **stamps})
    table("raw_salesforce.opportunities", sf["Opportunity"].values(), {
        "id": "Id", "account_id": "AccountId", "name": "Name", "type": "Type", "stage_name": "StageName",
        "close_date": "CloseDate", "amount": "Amount", "is_closed": "IsClosed", "is_won": "IsWon", **stamps})
    table("raw_salesforce.users", sf["User"].values(), {
        "id": "Id", "email": "Email", "name": "Name", "is_active": "IsActive", "system_modstamp": "SystemModstamp"})
    for name, sobject in (("tasks", "Task"), ("events", "Event")):
        fields = {column: "".join(part.capitalize() for part in column.split("_"))
                  for column in SCHEMAS[f"raw_salesforce.{name}"]}
        fields.update(id="Id", who_id="WhoId", what_id="WhatId", account_id="AccountId", owner_id="OwnerId",
                      created_date="CreatedDate", system_modstamp="SystemModstamp", is_deleted="IsDeleted",
                      completed_date_time="CompletedDateTime", start_date_time="StartDateTime",
                      end_date_time="EndDateTime")
        table(f"raw_salesforce.{name}", sf[sobject].values(),
              {k: v for k, v in fields.items() if k in SCHEMAS[f"raw_salesforce.{name}"]})

    objects, assoc, owners = seed_hubspot(crm)

    def hubspot(kind: str, properties: list[str]) -> list[dict]:
        out = []
        for o in objects[kind].values():
            company = (assoc.get((kind, o["id"]), {}).get("companies") or [None])[0]
            out.append({"id": o["id"], "archived": o["archived"], "company_id": company,
                        **{k: o["properties"].get(k) for k in properties}})
        return out

    company_props = ["name", "domain", "industry", "numberofemployees", "country", "customer_id",
                     "hubspot_owner_id", "lifecyclestage", "customer_status", "createdate", "hs_lastmodifieddate"]
    contact_props = ["email", "firstname", "lastname", "jobtitle", "associatedcompanyid", "createdate",
                     "lastmodifieddate"]
    deal_props = ["dealname", "dealtype", "dealstage", "pipeline", "amount", "closedate", "contract_start_date",
                  "contract_end_date", "mrr", "seats", "plan", "createdate", "hs_lastmodifieddate"]
    table("raw_hubspot.companies", hubspot("companies", company_props),
          {k: k for k in ["id", *company_props, "archived"]})
    table("raw_hubspot.contacts", hubspot("contacts", contact_props),
          {k: k for k in ["id", *contact_props, "archived"]})
    table("raw_hubspot.deals", hubspot("deals", deal_props),
          {k: k for k in ["id", "company_id", *deal_props, "archived"]})
    for kind in ("calls", "meetings", "emails", "notes"):
        properties = [c for c in SCHEMAS[f"raw_hubspot.{kind}"] if c.startswith("hs_") or c == "hubspot_owner_id"]
        found = hubspot(kind, properties)
        for row in found:
            row["contact_id"] = (assoc.get((kind, row["id"]), {}).get("contacts") or [None])[0]
        table(f"raw_hubspot.{kind}", found, {k: k for k in SCHEMAS[f"raw_hubspot.{kind}"]})
    table("raw_hubspot.owners", owners.values(), {
        "id": "id", "email": "email", "first_name": "firstName", "last_name": "lastName", "archived": "archived"})

    tables["raw_product.tenants"] = read_table(world_dir, "tenants")[["tenant_id", "name", "signup_email",
                                                                      "created_at"]]
    tables["raw_product.users"] = read_table(world_dir, "product_users")

    zendesk_tickets, zendesk_users, metrics, zendesk_ratings, freshdesk_tickets, freshdesk_ratings = (
        [], {}, [], [], [], [])
    for system in ("zendesk", "freshdesk"):
        for k in load_helpdesk(world_dir, system).tickets:
            email = k.requester_email
            requester = 10_000 + stable_int("req", email) % 10**9 if email else None
            if system == "zendesk":
                if requester:
                    zendesk_users[requester] = (requester, email, email.split("@")[0], k.created_at)
                zendesk_tickets.append((k.id, requester, k.subject, k.priority, k.status or "open", k.created_at,
                                        k.updated_at, k.csat or ("offered" if k.solved_at else "unoffered")))
                metrics.append((k.id + 7, k.id, k.created_at, k.updated_at,
                                calendar_minutes(k.created_at, k.first_response_at),
                                calendar_minutes(k.created_at, k.solved_at), k.solved_at))
                if k.csat:
                    zendesk_ratings.append((k.id + 9, k.id, requester, k.csat, k.rated_at, k.rated_at))
            else:
                priority = {"low": 1, "normal": 2, "high": 3, "urgent": 4}.get(k.priority or "", 2)
                status = {"solved": 4, "closed": 5, "pending": 3}.get(k.status or "", 2)
                freshdesk_tickets.append((k.id, requester, email, k.subject, priority, status, k.created_at,
                                          k.updated_at, None, None, k.first_response_at, k.solved_at, False))
                if k.csat:
                    freshdesk_ratings.append((k.id + 9, k.id, 102 if k.csat == "good" else -102, k.rated_at,
                                              k.rated_at))
    columns = lambda name: list(SCHEMAS[name])  # noqa: E731
    tables["raw_zendesk.tickets"] = _df(zendesk_tickets, columns("raw_zendesk.tickets"))
    tables["raw_zendesk.users"] = _df(list(zendesk_users.values()), columns("raw_zendesk.users"))
    tables["raw_zendesk.ticket_metrics"] = _df(metrics, columns("raw_zendesk.ticket_metrics"))
    tables["raw_zendesk.satisfaction_ratings"] = _df(zendesk_ratings, columns("raw_zendesk.satisfaction_ratings"))
    tables["raw_freshdesk.tickets"] = _df(freshdesk_tickets, columns("raw_freshdesk.tickets"))
    tables["raw_freshdesk.satisfaction_ratings"] = _df(freshdesk_ratings,
                                                       columns("raw_freshdesk.satisfaction_ratings"))

    invitations = read_table(world_dir, "survey_invitations")
    tables["raw_surveys.invitations"] = pd.DataFrame({
        "id": invitations.invitation_id, "email": invitations.email, "survey": invitations.survey,
        "sent_at": invitations.sent_at, "updated_at": invitations.sent_at})
    responses = read_table(world_dir, "survey_responses")
    tables["raw_surveys.responses"] = pd.DataFrame({
        "id": responses.response_id, "invitation_id": responses.invitation_id, "email": responses.email,
        "score": pd.to_numeric(responses.score), "comment": responses.comment,
        "responded_at": responses.responded_at, "updated_at": responses.responded_at})
    courses = read_table(world_dir, "courses")
    tables["raw_training.courses"] = pd.DataFrame({
        "id": courses.course_id, "title": courses.title, "kind": courses.kind, "updated_at": None})
    enrollments = read_table(world_dir, "enrollments")
    tables["raw_training.enrollments"] = pd.DataFrame({
        "id": enrollments.enrollment_id, "course_id": enrollments.course_id, "email": enrollments.email,
        "registered_at": enrollments.registered_at, "attended_at": enrollments.attended_at,
        "completed_at": enrollments.completed_at, "updated_at": enrollments.registered_at})

    with duckdb.connect(str(db_path)) as con:
        con.execute("set TimeZone = 'UTC'")
        for name, frame in tables.items():
            schema = name.split(".")[0]
            if schema.removeprefix("raw_") in skip:
                continue
            kinds = SCHEMAS[name]
            casts = ", ".join(
                f'try_cast("{c}" as TIMESTAMPTZ) as "{c}"' if kinds.get(c) == "TIMESTAMPTZ" else f'"{c}"'
                for c in frame.columns)
            con.execute(f"create schema if not exists {schema}")
            con.register("world_rows", frame)
            con.execute(f"create or replace table {name} as select {casts}, '{LOAD_ID}' as _dlt_load_id, "
                        f"cast(row_number() over () as varchar) as _dlt_id from world_rows")
            con.unregister("world_rows")
        if "product" not in skip:
            con.execute(f"""
                create or replace table raw_product.events as
                select event_id, tenant_id, user_id, event_type, feature,
                       cast(occurred_at as timestamptz) as occurred_at, '{LOAD_ID}' as _dlt_load_id,
                       event_id as _dlt_id
                from read_parquet('{world_dir / "events" / "*.parquet"}')""")
    return db_path


def identity_accuracy(warehouse: Path, world_dir: Path) -> dict:
    """Precision / recall of the tenant matches in marts.identity_bridge against the world's
    truth (tenants.csv account_id)."""
    truth = pd.read_csv(Path(world_dir) / "tenants.csv", dtype=str, keep_default_na=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.register("truth", truth)
        row = con.execute("""
            select
                count(*) filter (where truth.account_id <> '') as linked,
                count(bridge.account_id) as predicted,
                count(*) filter (where bridge.account_id = truth.account_id) as correct
            from truth
            left join marts.identity_bridge as bridge
                on bridge.source_system = 'product' and bridge.source_id = truth.tenant_id
        """).fetchone()
    linked, predicted, correct = row
    return {"tenants_linked": linked, "predicted": predicted, "correct": correct,
            "precision": correct / predicted if predicted else None,
            "recall": correct / linked if linked else None}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--world":
        print(write_raw_from_world(Path(sys.argv[2]), Path(sys.argv[3]) / "warehouse.duckdb"))
    elif len(sys.argv) == 2:
        print(write_raw_fixture(Path(sys.argv[1]) / "warehouse.duckdb"))
    else:
        sys.exit("usage: python tests/dbt_raw_fixture.py DIR | --world WORLD_DIR DIR")
