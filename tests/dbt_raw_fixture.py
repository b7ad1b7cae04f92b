"""Fabricate the raw dlt schemas (raw_product, raw_salesforce, raw_hubspot) in a DuckDB file.

Used by tests/test_dbt_project.py to build the dbt project without running ingestion.
Column names are exactly those of docs/architecture.md ("Raw tables"); physical types are
the ones dlt produces: TIMESTAMPTZ for timestamps, Salesforce dates as DATE or
'YYYY-MM-DD' strings, HubSpot properties as strings, plus _dlt_load_id and _dlt_id.

The world's "today" is 2024-06-30 (the latest event, stored with a +09:00 offset so that
only a correct UTC conversion lands it on that day). Account CUST-0001 (Acme) is built
so that its score on that day can be computed by hand:

    seats 10 (Salesforce contract 2024-01-01 .. 2025-01-01)
    users active 2024-06-01..06-30: 4                -> utilization 0.40
    logins 2024-06-01..06-30: 20                     -> 2.0 logins per seat
    logins 2024-05-02..05-31: 32                     -> trend 20 / 32 = 0.625
    features used 2024-06-01..06-30: 2 of 8 known    -> breadth 0.25

Run as a script to write a warehouse for manual dbt runs:
    python tests/dbt_raw_fixture.py DIR      (writes DIR/warehouse.duckdb)
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

LOAD_ID = "1719792000.000001"
WORLD_TODAY = date(2024, 6, 30)
FEATURES = ["dashboards", "reports", "exports", "alerts", "integrations", "api", "automations", "sharing"]

SCHEMAS: dict[str, dict[str, str]] = {
    "raw_product.tenants": {
        "tenant_id": "VARCHAR", "name": "VARCHAR", "signup_email": "VARCHAR", "created_at": "TIMESTAMPTZ",
    },
    "raw_product.users": {
        "user_id": "VARCHAR", "tenant_id": "VARCHAR", "email": "VARCHAR", "role": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
    },
    "raw_product.events": {
        "event_id": "VARCHAR", "tenant_id": "VARCHAR", "user_id": "VARCHAR", "event_type": "VARCHAR",
        "feature": "VARCHAR", "occurred_at": "TIMESTAMPTZ",
    },
    "raw_salesforce.accounts": {
        "id": "VARCHAR", "name": "VARCHAR", "account_number": "VARCHAR", "website": "VARCHAR",
        "industry": "VARCHAR", "number_of_employees": "BIGINT", "billing_country": "VARCHAR", "type": "VARCHAR",
        "owner_id": "VARCHAR", "created_date": "TIMESTAMPTZ", "system_modstamp": "TIMESTAMPTZ",
        "is_deleted": "BOOLEAN",
    },
    "raw_salesforce.contacts": {
        "id": "VARCHAR", "account_id": "VARCHAR", "email": "VARCHAR", "first_name": "VARCHAR",
        "last_name": "VARCHAR", "title": "VARCHAR", "created_date": "TIMESTAMPTZ",
        "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN",
    },
    # dates as strings here (as simple-salesforce returns them) ...
    "raw_salesforce.contracts": {
        "id": "VARCHAR", "account_id": "VARCHAR", "contract_number": "VARCHAR", "start_date": "VARCHAR",
        "end_date": "VARCHAR", "status": "VARCHAR", "contract_term": "BIGINT", "mrr__c": "DOUBLE",
        "seats__c": "DOUBLE", "plan__c": "VARCHAR", "created_date": "TIMESTAMPTZ",
        "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN",
    },
    # ... and as DATE here (as dlt lands them with date detection on)
    "raw_salesforce.opportunities": {
        "id": "VARCHAR", "account_id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR", "stage_name": "VARCHAR",
        "close_date": "DATE", "amount": "DOUBLE", "is_closed": "BOOLEAN", "is_won": "BOOLEAN",
        "created_date": "TIMESTAMPTZ", "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN",
    },
    "raw_salesforce.users": {
        "id": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR", "is_active": "BOOLEAN",
        "system_modstamp": "TIMESTAMPTZ",
    },
    # HubSpot returns properties as strings; dlt turns ISO datetimes into TIMESTAMPTZ
    "raw_hubspot.companies": {
        "id": "VARCHAR", "name": "VARCHAR", "domain": "VARCHAR", "industry": "VARCHAR",
        "numberofemployees": "VARCHAR", "country": "VARCHAR", "customer_id": "VARCHAR",
        "hubspot_owner_id": "VARCHAR", "lifecyclestage": "VARCHAR", "customer_status": "VARCHAR",
        "createdate": "TIMESTAMPTZ", "hs_lastmodifieddate": "TIMESTAMPTZ", "archived": "BOOLEAN",
    },
    "raw_hubspot.contacts": {
        "id": "VARCHAR", "email": "VARCHAR", "firstname": "VARCHAR", "lastname": "VARCHAR",
        "jobtitle": "VARCHAR", "associatedcompanyid": "VARCHAR", "createdate": "TIMESTAMPTZ",
        "lastmodifieddate": "TIMESTAMPTZ", "archived": "BOOLEAN",
    },
    "raw_hubspot.deals": {
        "id": "VARCHAR", "company_id": "VARCHAR", "dealname": "VARCHAR", "dealtype": "VARCHAR",
        "dealstage": "VARCHAR", "pipeline": "VARCHAR", "amount": "VARCHAR", "closedate": "TIMESTAMPTZ",
        "contract_start_date": "VARCHAR", "contract_end_date": "VARCHAR", "mrr": "VARCHAR", "seats": "VARCHAR",
        "plan": "VARCHAR", "createdate": "TIMESTAMPTZ", "hs_lastmodifieddate": "TIMESTAMPTZ", "archived": "BOOLEAN",
    },
    "raw_hubspot.owners": {
        "id": "VARCHAR", "email": "VARCHAR", "first_name": "VARCHAR", "last_name": "VARCHAR", "archived": "BOOLEAN",
    },
}

# Salesforce record ids (18 characters, standard prefixes)
SF_ACME, SF_INITECH, SF_STARK, SF_DELETED = (
    "001000000000001AAA", "001000000000003AAA", "001000000000005AAA", "001000000000009AAA")
SF_ALICE, SF_BOB = "005000000000001AAA", "005000000000002AAA"
HS_ACME, HS_GLOBEX, HS_UMBRELLA, HS_ARCHIVED = "5001", "5002", "5004", "5008"

# the warehouse account_id each fabricated account must get
ACCOUNT_IDS = {
    "acme": "CUST-0001",                      # in both CRMs, same customer number
    "globex": "CUST-0002",                    # HubSpot only
    "initech": f"salesforce:{SF_INITECH}",    # Salesforce, no customer number, churned
    "umbrella": f"hubspot:{HS_UMBRELLA}",     # HubSpot, no customer number, in renewal
    "stark": "CUST-0005",                     # Salesforce, no product tenant
}


def ts(value: str) -> datetime:
    """'2024-06-01' or '2024-06-01 10:00' (UTC) or with an explicit offset."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def d(value: str) -> date:
    return date.fromisoformat(value)


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
            (HS_ARCHIVED, "Archived Ltd", "archived.example", "Retail", "5", "Japan", "CUST-0008", "101",
             "customer", "active", created, modstamp, True),
        ],
        "raw_hubspot.contacts": [
            ("7001", "hanako@globex.example", "Hanako", "Sato", "Ops lead", HS_GLOBEX, created, modstamp, False),
            ("7004", "alice@umbrella.example", "Alice", "Wesker", "CIO", HS_UMBRELLA, created, modstamp, False),
        ],
        "raw_hubspot.deals": [
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
    # tenant_id, name, signup_email, created_at
    ("t-acme", "Acme", "admin@acme.example", ts("2023-12-15 08:00")),               # email domain
    ("t-acme-2", "ACME Corp.", "it@acme-sandbox.example", ts("2024-02-01 08:00")),  # normalized name
    ("t-globex", "GLOBEX, K.K.", "ops@gmail.example", ts("2024-04-10 08:00")),      # normalized name
    ("t-initech", "Initech", "it@INITECH.example", ts("2023-04-20 08:00")),         # email domain
    ("t-umbrella", "Umbrella Corp", "admin@umbrella.example", ts("2022-07-20 08:00")),  # email domain
    ("t-hooli", "Hooli Labs", "founder@hooli.example", ts("2024-03-01 08:00")),     # unmatched
]

TENANT_ACCOUNT = {
    "t-acme": "CUST-0001", "t-acme-2": "CUST-0001", "t-globex": "CUST-0002",
    "t-initech": f"salesforce:{SF_INITECH}", "t-umbrella": f"hubspot:{HS_UMBRELLA}", "t-hooli": None,
}


def acme_events() -> list[tuple[str, str, str | None, datetime]]:
    """(user, event_type, feature, occurred_at) of tenant t-acme; see the module docstring."""
    events: list[tuple[str, str, str | None, datetime]] = []

    def logins(user: str, days: list[str]) -> None:
        events.extend((user, "login", None, ts(f"{day} 09:00")) for day in days)

    # current window 2024-06-01..06-30: 20 logins by 4 users, features dashboards + reports
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


def background_events(rng: random.Random) -> list[tuple[str, str, str, str | None, datetime]]:
    """(tenant, user, event_type, feature, occurred_at) of the other tenants, ~120 days."""
    plan = {
        # tenant: (users, first day, last day, events per user-week)
        "t-globex": (4, date(2024, 4, 16), date(2024, 6, 30), 3),
        "t-initech": (3, date(2024, 3, 3), date(2024, 4, 25), 2),
        "t-umbrella": (6, date(2024, 3, 3), date(2024, 6, 29), 2),
        "t-hooli": (2, date(2024, 3, 3), date(2024, 6, 30), 2),
    }
    rows: list[tuple[str, str, str, str | None, datetime]] = []
    # every feature of the catalogue is seen before 2024-06-01
    rows.append(("t-hooli", "u-hooli-1", "feature_used", "automations", ts("2024-03-05 10:00")))
    rows.append(("t-umbrella", "u-umbrella-1", "feature_used", "sharing", ts("2024-03-06 10:00")))
    for tenant, (n_users, first, last, per_week) in plan.items():
        n_days = (last - first).days + 1
        for user_no in range(1, n_users + 1):
            user = f"u-{tenant[2:]}-{user_no}"
            for _ in range(per_week * n_days // 7):
                day = first + timedelta(days=rng.randrange(n_days))
                at = datetime(day.year, day.month, day.day, rng.randrange(0, 23), rng.randrange(60),
                              tzinfo=timezone.utc)
                if rng.random() < 0.5:
                    rows.append((tenant, user, "login", None, at))
                else:
                    rows.append((tenant, user, "feature_used", rng.choice(FEATURES), at))
    return rows


def product_rows() -> dict[str, list[tuple]]:
    events = [("t-acme", user, kind, feature, at) for user, kind, feature, at in acme_events()]
    events += background_events(random.Random(360))
    events.sort(key=lambda row: row[4])
    users = sorted({(row[1], row[0]) for row in events})
    created = {tenant: at for tenant, _, _, at in TENANTS}
    return {
        "raw_product.tenants": TENANTS,
        "raw_product.users": [
            (user, tenant, f"{user}@{tenant[2:]}.example", "admin" if user.endswith("-1") else "member",
             created[tenant]) for user, tenant in users
        ],
        "raw_product.events": [(f"e-{n:05d}", *row) for n, row in enumerate(events, start=1)],
    }


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if not rows:
        return
    columns = list(SCHEMAS[table])
    offset = con.execute(f"select count(*) from {table}").fetchone()[0]
    placeholders = ", ".join(["?"] * (len(columns) + 2))
    con.executemany(
        f"insert into {table} ({', '.join(columns)}, _dlt_load_id, _dlt_id) values ({placeholders})",
        [(*row, LOAD_ID, f"{table}-{offset + n}") for n, row in enumerate(rows)],
    )


def write_raw_fixture(db_path: Path) -> Path:
    """Create the raw schemas with the fabricated rows; returns the database path."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path)) as con:
        for table, columns in SCHEMAS.items():
            schema = table.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            con.execute(f"create or replace table {table} ({ddl}, _dlt_load_id VARCHAR not null, "
                        f"_dlt_id VARCHAR not null)")
        for table, rows in {**crm_rows(), **product_rows()}.items():
            _insert(con, table, rows)
    return db_path


def add_events(db_path: Path, rows: list[tuple[str, str, str, str | None, datetime]]) -> None:
    """Append (event_id, tenant_id, user_id, event_type, feature, occurred_at) rows."""
    with duckdb.connect(str(db_path)) as con:
        _insert(con, "raw_product.events", rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/dbt_raw_fixture.py DIR")
    print(write_raw_fixture(Path(sys.argv[1]) / "warehouse.duckdb"))
