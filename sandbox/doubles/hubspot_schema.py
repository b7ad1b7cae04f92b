"""HubSpot property definitions and the seed of companies, contacts, deals, owners and the
engagement objects (calls, meetings, e-mails, notes, associated with their company and
contact; a deleted world activity is archived).

Property values are strings, as the CRM v3 API returns them: numbers as decimal text,
datetimes as 2025-01-10T08:00:00.000Z, dates as 2025-01-10. The cs_* properties of
contract section 5 are absent: the pipeline creates them. An account kept in both CRMs
whose own CRM is Salesforce appears here as a company with its contacts only.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from sandbox.doubles.common import person_name, stable_int
from sandbox.doubles.crm_world import Activity, CrmWorld

OBJECT_TYPES = {"companies": "COMPANY", "contacts": "CONTACT", "deals": "DEAL",
                "calls": "CALL", "meetings": "MEETING", "emails": "EMAIL", "notes": "NOTE"}
ACTIVITY_TYPES = ("calls", "meetings", "emails", "notes")  # engagement objects, keyed by hs_timestamp
ALIASES = {"companies": "companies", "company": "companies", "0-2": "companies",
           "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
           "deals": "deals", "deal": "deals", "0-3": "deals",
           "calls": "calls", "call": "calls", "0-48": "calls",
           "meetings": "meetings", "meeting": "meetings", "meeting_event": "meetings", "0-47": "meetings",
           "emails": "emails", "email": "emails", "0-49": "emails",
           "notes": "notes", "note": "notes", "0-46": "notes"}
GROUPS = {"companies": ("companyinformation", "Company information"),
          "contacts": ("contactinformation", "Contact information"),
          "deals": ("dealinformation", "Deal information"),
          **{t: (f"{t[:-1]}information", f"{t[:-1].capitalize()} information") for t in ACTIVITY_TYPES}}
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate",
            **{t: "hs_lastmodifieddate" for t in ACTIVITY_TYPES}}
# engagement objects name their creation property hs_createdate
CREATED = {t: "hs_createdate" if t in ACTIVITY_TYPES else "createdate" for t in OBJECT_TYPES}
# What GET returns when the caller names no properties.
DEFAULT_PROPERTIES = {
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"],
    **{t: ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"] for t in ACTIVITY_TYPES},
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
    def system(group: str, modified: str, created: str = "createdate") -> list[dict]:
        return [
            make_property(created, "Create Date", "datetime", "date", group, read_only=True),
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
        **_activity_properties(),
    }
    return {t: {p["name"]: p for p in ps} for t, ps in props.items()}


def _activity_properties() -> dict[str, list[dict]]:
    """The default properties of the engagement objects the pipeline reads."""
    def common(type_: str) -> list[dict]:
        group = GROUPS[type_][0]
        return [
            make_property("hs_timestamp", "Activity date", "datetime", "date", group),
            make_property("hubspot_owner_id", "Activity assigned to", "enumeration", "select", group,
                          external_options=True),
            make_property("hs_createdate", "Create date", "datetime", "date", group, read_only=True),
            make_property("hs_lastmodifieddate", "Last modified date", "datetime", "date", group, read_only=True),
            make_property("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        ]

    def prop(type_: str, name: str, label: str, kind: str = "string", field: str = "text", options=()) -> dict:
        return make_property(name, label, kind, field, GROUPS[type_][0], options=options)

    return {
        "calls": [*common("calls"),
                  prop("calls", "hs_call_title", "Call title"),
                  prop("calls", "hs_call_body", "Call notes", field="textarea"),
                  prop("calls", "hs_call_direction", "Call direction", "enumeration", "select",
                       options=[("Inbound", "INBOUND"), ("Outbound", "OUTBOUND")]),
                  prop("calls", "hs_call_status", "Call status", "enumeration", "select",
                       options=["BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED",
                                "IN_PROGRESS", "NO_ANSWER", "QUEUED", "RINGING"]),
                  prop("calls", "hs_call_duration", "Call duration (ms)", "number", "number")],
        "meetings": [*common("meetings"),
                     prop("meetings", "hs_meeting_title", "Meeting name"),
                     prop("meetings", "hs_meeting_body", "Meeting description", field="textarea"),
                     prop("meetings", "hs_meeting_start_time", "Meeting start time", "datetime", "date"),
                     prop("meetings", "hs_meeting_end_time", "Meeting end time", "datetime", "date"),
                     prop("meetings", "hs_meeting_outcome", "Meeting outcome", "enumeration", "select",
                          options=["SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"])],
        "emails": [*common("emails"),
                   prop("emails", "hs_email_subject", "Email subject"),
                   prop("emails", "hs_email_text", "Email body", field="textarea"),
                   prop("emails", "hs_email_direction", "Email direction", "enumeration", "select",
                        options=[("Sent by owner", "EMAIL"), ("Received", "INCOMING_EMAIL"),
                                 ("Forwarded", "FORWARDED_EMAIL")]),
                   prop("emails", "hs_email_status", "Email send status", "enumeration", "select",
                        options=["BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"])],
        "notes": [*common("notes"),
                  prop("notes", "hs_note_body", "Note body", field="textarea")],
    }


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
        props = {**props, CREATED[type_]: hs_datetime(created), MODIFIED[type_]: hs_datetime(modified),
                 "hs_object_id": oid}
        objects[type_][oid] = {"id": oid, "properties": props, "createdAt": hs_datetime(created),
                               "updatedAt": hs_datetime(modified), "archived": False}

    def link(a_type: str, a_id: str, b_type: str, b_id: str) -> None:
        assoc.setdefault((a_type, a_id), {}).setdefault(b_type, []).append(b_id)
        assoc.setdefault((b_type, b_id), {}).setdefault(a_type, []).append(a_id)

    def owner(email: str | None, since: datetime) -> str | None:
        if not email:
            return None
        email = email.lower()
        if email not in owners:
            first, last = person_name(email)
            stamp = hs_datetime(world.clip(since))
            owners[email] = {"id": ids.make(10**7, 10**9, "owner", email), "email": email,
                             "firstName": first, "lastName": last,
                             "userId": int(ids.make(10**6, 10**8, "user", email)),
                             "type": "PERSON", "createdAt": stamp, "updatedAt": stamp,
                             "archived": False, "teams": []}
        return owners[email]["id"]

    for account in world.in_crm("hubspot"):
        owner_id = owner(account.csm_email, account.created_at)
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
        contact_ids: dict[str, str] = {}
        for contact in account.contacts:
            pid = ids.make(100, 10**11, "contact", contact.contact_id)
            contact_ids[contact.contact_id] = pid
            created = created_at + timedelta(days=stable_int("contact", contact.contact_id) % 30)
            put("contacts", pid, created, created, {
                "email": contact.email, "firstname": contact.first_name, "lastname": contact.last_name,
                "jobtitle": contact.title, "associatedcompanyid": cid})
            link("contacts", pid, "companies", cid)
        for activity in account.activities:
            if activity.crm != "hubspot":
                continue
            type_, props, deleted = activity_properties(world, activity, owner(activity.owner_email, activity.occurred_at))
            aid = ids.make(10**10, 10**11, "activity", activity.activity_id)
            occurred = world.clip(activity.occurred_at)
            created = occurred - timedelta(days=stable_int("booked", activity.activity_id) % 10) \
                if type_ == "meetings" else occurred
            put(type_, aid, created, deleted or occurred, props)
            if deleted:
                objects[type_][aid].update(archived=True, archivedAt=hs_datetime(deleted))
            link(type_, aid, "companies", cid)
            if activity.contact_id in contact_ids:
                link(type_, aid, "contacts", contact_ids[activity.contact_id])
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


def activity_properties(world: CrmWorld, activity: Activity, owner_id: str | None):
    """(object type, properties, archived at or None) of a world activity: a call, meeting,
    e-mail or note engagement (a world to-do is kept as a note)."""
    occurred = world.clip(activity.occurred_at)
    when = hs_datetime(occurred)
    subject = activity.subject or ""
    props = {"hs_timestamp": when, "hubspot_owner_id": owner_id}
    if activity.kind == "call":
        type_ = "calls"
        props.update(hs_call_title=subject, hs_call_body=f"<p>{subject}</p>", hs_call_direction="OUTBOUND",
                     hs_call_status="COMPLETED",
                     hs_call_duration=str(60_000 * (5 + stable_int("call", activity.activity_id) % 40)))
    elif activity.kind == "meeting":
        type_ = "meetings"
        minutes = 30 * (1 + stable_int("length", activity.activity_id) % 2)
        props.update(hs_meeting_title=subject, hs_meeting_body=f"<p>{subject}</p>", hs_meeting_start_time=when,
                     hs_meeting_end_time=hs_datetime(occurred + timedelta(minutes=minutes)),
                     hs_meeting_outcome="COMPLETED")
    elif activity.kind == "email":
        type_ = "emails"
        props.update(hs_email_subject=subject, hs_email_text=subject, hs_email_direction="EMAIL",
                     hs_email_status="SENT")
    else:
        type_ = "notes"
        props.update(hs_note_body=f"<div>{subject}</div>")
    deleted = world.clip(activity.deleted_at) if activity.deleted_at is not None else None
    return type_, props, deleted


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)
