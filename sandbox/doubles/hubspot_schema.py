"""HubSpot property definitions and the seed of companies, contacts, deals and owners.

Property values are strings, as the CRM v3 API returns them: numbers as decimal text,
datetimes as 2025-01-10T08:00:00.000Z, dates as 2025-01-10. The cs_* properties of
contract section 5 are absent: the pipeline creates them. An account kept in both CRMs
whose own CRM is Salesforce appears here as a company with its contacts only.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from sandbox.doubles.common import person_name, stable_int
from sandbox.doubles.crm_world import CrmWorld

OBJECT_TYPES = {"companies": "COMPANY", "contacts": "CONTACT", "deals": "DEAL"}
ALIASES = {"companies": "companies", "company": "companies", "0-2": "companies",
           "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
           "deals": "deals", "deal": "deals", "0-3": "deals"}
GROUPS = {"companies": ("companyinformation", "Company information"),
          "contacts": ("contactinformation", "Contact information"),
          "deals": ("dealinformation", "Deal information")}
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
# What GET returns when the caller names no properties.
DEFAULT_PROPERTIES = {
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"],
}
LIFECYCLE = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
             "customer", "evangelist", "other"]
DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]
SEED_TIME = datetime(2020, 1, 1, tzinfo=timezone.utc)  # when the portal's properties were defined


def hs_datetime(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hs_number(value: float | int | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def enum_value(text: str) -> str:
    """HubSpot enumeration values look like COMPUTER_SOFTWARE."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def make_property(name: str, label: str, type_: str, field_type: str, group: str, *,
                  options=(), hubspot_defined: bool = True, read_only: bool = False,
                  unique: bool = False, external_options: bool = False, description: str = "",
                  created: datetime = SEED_TIME) -> dict:
    stamp = hs_datetime(created)
    return {
        "name": name, "label": label, "type": type_, "fieldType": field_type,
        "description": description, "groupName": group,
        "options": [_option(o, i) for i, o in enumerate(options)],
        "displayOrder": -1, "calculated": False, "externalOptions": external_options,
        "hasUniqueValue": unique, "hidden": False, "formField": not read_only,
        "hubspotDefined": hubspot_defined,
        "modificationMetadata": {"archivable": not hubspot_defined,
                                 "readOnlyDefinition": hubspot_defined, "readOnlyValue": read_only},
        "createdAt": stamp, "updatedAt": stamp, "archived": False,
    }


def _option(option, index: int) -> dict:
    if isinstance(option, dict):
        return {"label": option.get("label", option.get("value")), "value": option["value"],
                "description": option.get("description", ""),
                "displayOrder": option.get("displayOrder", index), "hidden": bool(option.get("hidden", False))}
    label, value = option if isinstance(option, tuple) else (option, option)
    return {"label": label, "value": value, "description": "", "displayOrder": index, "hidden": False}


def seed_properties(industries=()) -> dict[str, dict[str, dict]]:
    def system(group: str, modified: str) -> list[dict]:
        return [
            make_property("createdate", "Create Date", "datetime", "date", group, read_only=True),
            make_property(modified, "Last Modified Date", "datetime", "date", group, read_only=True),
            make_property("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        ]

    company, contact, deal = (GROUPS[t][0] for t in ("companies", "contacts", "deals"))
    props = {
        "companies": [
            make_property("name", "Company name", "string", "text", company),
            make_property("domain", "Company Domain Name", "string", "text", company),
            make_property("industry", "Industry", "enumeration", "select", company,
                          options=[(i.title(), enum_value(i)) for i in industries]),
            make_property("numberofemployees", "Number of Employees", "number", "number", company),
            make_property("country", "Country/Region", "string", "text", company),
            make_property("hubspot_owner_id", "Company owner", "enumeration", "select", company,
                          external_options=True),
            make_property("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", company,
                          options=LIFECYCLE),
            make_property("customer_id", "Customer ID", "string", "text", company,
                          hubspot_defined=False, unique=True),
            make_property("customer_status", "Customer status", "enumeration", "select", company,
                          options=["active", "churned"], hubspot_defined=False),
            *system(company, "hs_lastmodifieddate"),
        ],
        "contacts": [
            make_property("email", "Email", "string", "text", contact),
            make_property("firstname", "First Name", "string", "text", contact),
            make_property("lastname", "Last Name", "string", "text", contact),
            make_property("jobtitle", "Job Title", "string", "text", contact),
            make_property("associatedcompanyid", "Primary Associated Company ID", "number", "number", contact),
            *system(contact, "lastmodifieddate"),
        ],
        "deals": [
            make_property("dealname", "Deal Name", "string", "text", deal),
            make_property("dealtype", "Deal Type", "enumeration", "radio", deal,
                          options=[("New Business", "newbusiness"), ("Existing Business", "existingbusiness")]),
            make_property("dealstage", "Deal Stage", "enumeration", "radio", deal, options=DEAL_STAGES),
            make_property("pipeline", "Pipeline", "enumeration", "select", deal,
                          options=[("Sales Pipeline", "default")]),
            make_property("amount", "Amount", "number", "number", deal),
            make_property("closedate", "Close Date", "datetime", "date", deal),
            make_property("contract_start_date", "Contract start date", "date", "date", deal, hubspot_defined=False),
            make_property("contract_end_date", "Contract end date", "date", "date", deal, hubspot_defined=False),
            make_property("mrr", "MRR", "number", "number", deal, hubspot_defined=False),
            make_property("seats", "Seats", "number", "number", deal, hubspot_defined=False),
            make_property("plan", "Plan", "string", "text", deal, hubspot_defined=False),
            *system(deal, "hs_lastmodifieddate"),
        ],
    }
    return {t: {p["name"]: p for p in ps} for t, ps in props.items()}


def seed_groups() -> dict[str, dict[str, dict]]:
    return {t: {name: {"name": name, "label": label, "displayOrder": -1, "archived": False}}
            for t, (name, label) in GROUPS.items()}


class _Ids:
    def __init__(self):
        self.taken: set[str] = set()

    def make(self, low: int, high: int, *key: object) -> str:
        n = stable_int("hs", *key)
        while str(low + n % (high - low)) in self.taken:
            n = stable_int(n)
        value = str(low + n % (high - low))
        self.taken.add(value)
        return value


def seed_hubspot(world: CrmWorld):
    """(objects, associations, owners): objects[type][id] = {id, properties, createdAt,
    updatedAt, archived}; associations[(type, id)][other_type] = [ids]."""
    ids = _Ids()
    objects: dict[str, dict[str, dict]] = {t: {} for t in OBJECT_TYPES}
    assoc: dict[tuple[str, str], dict[str, list[str]]] = {}
    owners: dict[str, dict] = {}

    def put(type_: str, oid: str, created: datetime, modified: datetime, props: dict) -> None:
        created, modified = world.clip(created), world.clip(max(created, modified))
        props = {**props, "createdate": hs_datetime(created), MODIFIED[type_]: hs_datetime(modified),
                 "hs_object_id": oid}
        objects[type_][oid] = {"id": oid, "properties": props, "createdAt": hs_datetime(created),
                               "updatedAt": hs_datetime(modified), "archived": False}

    def link(a_type: str, a_id: str, b_type: str, b_id: str) -> None:
        assoc.setdefault((a_type, a_id), {}).setdefault(b_type, []).append(b_id)
        assoc.setdefault((b_type, b_id), {}).setdefault(a_type, []).append(a_id)

    for account in world.in_crm("hubspot"):
        owner_id = None
        if account.csm_email:
            email = account.csm_email.lower()
            if email not in owners:
                first, last = person_name(email)
                stamp = hs_datetime(world.clip(account.created_at))
                owners[email] = {"id": ids.make(10**7, 10**9, "owner", email), "email": email,
                                 "firstName": first, "lastName": last,
                                 "userId": int(ids.make(10**6, 10**8, "user", email)),
                                 "type": "PERSON", "createdAt": stamp, "updatedAt": stamp,
                                 "archived": False, "teams": []}
            owner_id = owners[email]["id"]
        cid = ids.make(10**9, 10**11, "company", account.account_id)
        churn = account.churn_date
        own = account.crm == "hubspot"  # else a copy: the company and its contacts only
        created_at = account.created_at if own else account.copy_created_at()
        put("companies", cid, created_at,
            world.stamp(churn, account.account_id) if churn else account.created_at, {
                "name": account.name, "domain": account.domain,
                "industry": enum_value(account.industry) if account.industry else None,
                "numberofemployees": hs_number(account.employees), "country": account.country,
                "customer_id": account.account_id, "hubspot_owner_id": owner_id,
                "lifecyclestage": "customer",
                "customer_status": "churned" if account.churned else "active",
            })
        for contact in account.contacts:
            pid = ids.make(100, 10**11, "contact", contact.contact_id)
            created = created_at + timedelta(days=stable_int("contact", contact.contact_id) % 30)
            put("contacts", pid, created, created, {
                "email": contact.email, "firstname": contact.first_name, "lastname": contact.last_name,
                "jobtitle": contact.title, "associatedcompanyid": cid})
            link("contacts", pid, "companies", cid)
        if not own:
            continue
        for n, contract in enumerate(account.contracts):
            did = ids.make(10**9, 10**11, "deal", contract.contract_id)
            kind = "newbusiness" if n == 0 else "existingbusiness"
            label = "New Business" if n == 0 else "Renewal"
            won = world.stamp(contract.start, contract.contract_id, "won")
            opened = max(account.created_at, _midnight(contract.start) - timedelta(days=30))
            put("deals", did, world.stamp(opened.date(), contract.contract_id, "opp"), won, {
                "dealname": f"{account.name} - {label} {contract.start:%Y-%m}", "dealtype": kind,
                "dealstage": "closedwon", "pipeline": "default",
                "amount": hs_number(contract.total_value), "closedate": hs_datetime(won),
                "contract_start_date": contract.start.isoformat(),
                "contract_end_date": contract.end.isoformat(), "mrr": hs_number(contract.mrr),
                "seats": hs_number(contract.seats), "plan": contract.plan})
            link("deals", did, "companies", cid)
        if account.churned:
            last = account.contracts[-1]
            did = ids.make(10**9, 10**11, "deal", last.contract_id, "lost")
            lost = world.stamp(last.end, last.contract_id, "lost-closed")
            opened = max(_midnight(last.start), _midnight(last.end) - timedelta(days=60))
            put("deals", did, world.stamp(opened.date(), last.contract_id, "lost"), lost, {
                "dealname": f"{account.name} - Renewal {last.end:%Y-%m}", "dealtype": "existingbusiness",
                "dealstage": "closedlost", "pipeline": "default",
                "amount": hs_number(last.total_value), "closedate": hs_datetime(lost)})
            link("deals", did, "companies", cid)
    return objects, assoc, owners


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)
