"""The product's own database: tenants and users, as the SaaS app would store them.

It knows nothing of CRM accounts (no account_id): matching tenants to accounts is the
pipeline's job (contract section 4). Timestamps are SQL TIMESTAMP columns in SQLite's
'YYYY-MM-DD HH:MM:SS' form, so SQLAlchemy reflects and reads them as datetimes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox.doubles.common import parse_instant
from sandbox.world.format import read_table

SCHEMA = """
CREATE TABLE tenants (
    tenant_id    TEXT PRIMARY KEY,
    name         TEXT,
    signup_email TEXT,
    created_at   TIMESTAMP
);
CREATE TABLE users (
    user_id    TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    email      TEXT,
    role       TEXT,
    created_at TIMESTAMP
);
CREATE INDEX users_tenant_id ON users (tenant_id);
"""


def _sql_time(value: str | None) -> str | None:
    moment = parse_instant(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def build_product_db(world_dir: Path, path: Path) -> Path:
    """(Re)create the SQLite product database at `path` from the world's CSVs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    tenants = read_table(world_dir, "tenants")
    users = read_table(world_dir, "product_users")
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO tenants VALUES (?, ?, ?, ?)",
            [(r["tenant_id"], r["name"], r["signup_email"], _sql_time(r["created_at"]))
             for r in tenants.to_dict("records")])
        db.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
            [(r["user_id"], r["tenant_id"], r["email"], r["role"], _sql_time(r["created_at"]))
             for r in users.to_dict("records")])
        db.commit()
    finally:
        db.close()
    return path
