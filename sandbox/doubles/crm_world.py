"""What a CRM can know about a world: accounts, their contacts and contracts, churn.

Both CRM doubles seed from this view, so Salesforce and HubSpot tell the same story
(docs/architecture.md, "How the CRMs hold a world"). Timestamps the world does not carry
(when a contract record was created, when an account's type changed) are derived
deterministically and never later than the world's `as_of` day.

A deterministic tenth of the accounts (by a hash of account_id) is also kept in the other
CRM, as when marketing tracks customers in HubSpot and sales in Salesforce. That copy holds
the account and its contacts; contracts, deals and opportunities stay in the account's own
CRM (`crm` column), so no revenue is counted twice. HubSpot always carries the customer
number; for half of these accounts sales never typed the AccountNumber into Salesforce and
typed the name and website their own way (`Account.salesforce_fields`), so only the domain
or the name tells the two records are one customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sandbox.doubles.common import parse_day, parse_instant, stable_int
from sandbox.world.format import read_meta, read_table
from sandbox.world.vocab import ABBREV_C

OTHER_CRM = {"salesforce": "hubspot", "hubspot": "salesforce"}
BOTH_CRMS_ONE_IN = 10  # share of accounts kept in both CRMs: one in ten


SALESFORCE_NUMBER_MISSING_ONE_IN = 2  # of the accounts kept in both CRMs
# the legal form sales appends to a name, by country (else Inc.)
LEGAL_FORMS = {"JP": "K.K.", "DE": "GmbH", "GB": "Ltd", "FR": "SAS", "NL": "B.V.", "AU": "Pty Ltd",
               "SG": "Pte. Ltd."}


def kept_in_both(account_id: str) -> bool:
    return stable_int("both-crms", account_id) % BOTH_CRMS_ONE_IN == 0


def salesforce_lacks_number(account_id: str) -> bool:
    """An account kept in both CRMs whose Salesforce record has no AccountNumber."""
    return kept_in_both(account_id) and (
        stable_int("sf-no-number", account_id) % SALESFORCE_NUMBER_MISSING_ONE_IN == 0)


@dataclass
class Contract:
    contract_id: str
    account_id: str
    start: date
    end: date
    mrr: float | None
    seats: int | None
    plan: str | None
    renewed: bool | None  # None while open

    @property
    def term_months(self) -> int:
        return max(1, round((self.end - self.start).days / 30.4375))

    @property
    def total_value(self) -> float | None:
        return None if self.mrr is None else round(self.mrr * self.term_months, 2)


@dataclass
class Contact:
    contact_id: str
    account_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    title: str | None


@dataclass
class Activity:
    """A call, meeting, e-mail, note or task the CSM logged (world `activities.csv`)."""
    activity_id: str
    account_id: str
    crm: str
    kind: str  # call / meeting / email / note / task
    subject: str | None
    owner_email: str | None
    contact_id: str | None
    occurred_at: datetime
    deleted_at: datetime | None


@dataclass
class Account:
    account_id: str
    name: str | None
    domain: str | None
    industry: str | None
    employees: int | None
    country: str | None
    crm: str
    csm_email: str | None
    created_at: datetime
    contracts: list[Contract] = field(default_factory=list)  # by start date
    contacts: list[Contact] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)  # by occurred_at

    @property
    def crms(self) -> tuple[str, ...]:
        """The CRMs holding this account: its own, and the other one for a tenth of them."""
        if self.crm in OTHER_CRM and kept_in_both(self.account_id):
            return (self.crm, OTHER_CRM[self.crm])
        return (self.crm,)

    def salesforce_fields(self) -> dict:
        """Name, AccountNumber and Website of the Salesforce record. Without the number the
        record is typed by hand: the name as is, with a legal form, upper-cased or abbreviated,
        the website as another URL form or left out; never both unrecognisable (an
        abbreviated name keeps its website)."""
        website = f"https://{self.domain}" if self.domain else None
        if not salesforce_lacks_number(self.account_id):
            return {"Name": self.name, "AccountNumber": self.account_id, "Website": website}
        name, domain = self.name or "", self.domain
        legal = LEGAL_FORMS.get((self.country or "").upper(), "Inc.")
        words = name.split(" ")
        typed = [
            (name, f"https://www.{domain}/about" if domain else None),
            (f"{name} {legal}", website),
            (f"{name}, {legal}", f"http://{domain.upper()}" if domain else None),
            (f"{name.upper()} {legal}", None),
            (name, None),
            (" ".join(words[:-1] + [ABBREV_C.get(words[-1], words[-1])]), f"www.{domain}" if domain else None),
        ]
        name, website = typed[stable_int("sf-typed", self.account_id) % len(typed)]
        return {"Name": name, "AccountNumber": None, "Website": website}

    def copy_created_at(self) -> datetime:
        """When the other CRM's copy was created: within two months after the account."""
        return self.created_at + timedelta(days=stable_int("copy", self.account_id) % 60)

    @property
    def churned(self) -> bool:
        """Churn = the last contract ended with renewed = false (contract section 4)."""
        return bool(self.contracts) and self.contracts[-1].renewed is False

    @property
    def churn_date(self) -> date | None:
        return self.contracts[-1].end if self.churned else None


@dataclass
class CrmWorld:
    as_of: date
    accounts: list[Account]

    @property
    def as_of_end(self) -> datetime:
        """Last millisecond of `as_of` (the world includes that whole day)."""
        return datetime.combine(self.as_of, time(23, 59, 59, 999000), tzinfo=timezone.utc)

    def in_crm(self, crm: str) -> list[Account]:
        """Every account the CRM holds: its own (`crm` column) and copies of the other's."""
        return [a for a in self.accounts if crm in a.crms]

    def clip(self, moment: datetime) -> datetime:
        return min(moment, self.as_of_end)

    def stamp(self, day: date, *key: object) -> datetime:
        """A working-hours time on `day`, stable per key, never after as_of."""
        minutes = 8 * 60 + stable_int("time", *key) % (10 * 60)
        moment = datetime.combine(day, time(), tzinfo=timezone.utc) + timedelta(minutes=minutes)
        return self.clip(moment)

    def contract_ended(self, contract: Contract) -> bool:
        return contract.end <= self.as_of


def _number(value: str | None, kind=float):
    if value is None:
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except ValueError:
        return None


def load_crm_world(world_dir: Path) -> CrmWorld:
    meta = read_meta(world_dir)
    as_of = parse_day(str(meta["as_of"]))
    accounts: dict[str, Account] = {}
    for row in read_table(world_dir, "accounts").to_dict("records"):
        accounts[row["account_id"]] = Account(
            account_id=row["account_id"], name=row["name"], domain=row["domain"],
            industry=row["industry"], employees=_number(row["employees"], int),
            country=row["country"], crm=(row["crm"] or "").strip().lower(),
            csm_email=row["csm_email"], created_at=parse_instant(row["created_at"]) or
            datetime.combine(as_of, time(), tzinfo=timezone.utc),
        )
    for row in read_table(world_dir, "contracts").to_dict("records"):
        account = accounts.get(row["account_id"])
        if account is None:
            continue
        renewed = (row["renewed"] or "").strip().lower()
        account.contracts.append(Contract(
            contract_id=row["contract_id"], account_id=row["account_id"],
            start=parse_day(row["start_date"]), end=parse_day(row["end_date"]),
            mrr=_number(row["mrr"]), seats=_number(row["seats"], int), plan=row["plan"],
            renewed={"true": True, "false": False}.get(renewed),
        ))
    for row in read_table(world_dir, "contacts").to_dict("records"):
        account = accounts.get(row["account_id"])
        if account is not None:
            account.contacts.append(Contact(**{k: row[k] for k in (
                "contact_id", "account_id", "email", "first_name", "last_name", "title")}))
    for row in read_table(world_dir, "activities").to_dict("records"):  # optional file: may be empty
        account = accounts.get(row["account_id"])
        occurred = parse_instant(row["occurred_at"]) if row["occurred_at"] else None
        if account is None or occurred is None:
            continue
        account.activities.append(Activity(
            activity_id=row["activity_id"], account_id=row["account_id"],
            crm=(row["crm"] or account.crm).strip().lower(), kind=(row["kind"] or "").strip().lower(),
            subject=row["subject"], owner_email=row["owner_email"], contact_id=row["contact_id"],
            occurred_at=occurred, deleted_at=parse_instant(row["deleted_at"]) if row["deleted_at"] else None,
        ))
    for account in accounts.values():
        account.activities.sort(key=lambda a: (a.occurred_at, a.activity_id))
        account.contracts.sort(key=lambda c: (c.start, c.end, c.contract_id))
    ordered = sorted(accounts.values(), key=lambda a: (a.created_at, a.account_id))
    return CrmWorld(as_of=as_of, accounts=ordered)
