"""Turn a world into Salesforce records (docs/architecture.md, "How the CRMs hold a world").

Account (AccountNumber = account_id, except for half of the accounts kept in both CRMs:
crm_world.Account.salesforce_fields; Type Customer / Former Customer, OwnerId -> User of
the CSM), Contact, one Contract per world contract (Activated / Expired), one Closed Won
Opportunity per contract (New Business, then Renewal) and a Closed Lost Renewal when the
last contract was not renewed; the world's activities (`activities.csv`) whose CRM is
Salesforce as Task (calls, e-mails, to-dos, notes) and Event (meetings), deleted ones in
the recycle bin (IsDeleted), those older than a year archived (IsArchived). An account kept in both CRMs whose own CRM is HubSpot
appears here as an Account with its Contacts only. Records are JSON-ready dicts keyed by
18-char Id.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sandbox.doubles.common import person_name, stable_int
from sandbox.doubles.crm_world import Activity, CrmWorld
from sandbox.doubles.salesforce_schema import CS_FIELDS, IdFactory, sf_date, sf_datetime

FALLBACK_OWNER = "integration.user@example.invalid"  # owner of accounts without a CSM


def seed_salesforce(world: CrmWorld) -> dict[str, dict[str, dict]]:
    ids = IdFactory()
    records: dict[str, dict[str, dict]] = {
        n: {} for n in ("User", "Account", "Contact", "Contract", "Opportunity", "Task", "Event")}
    accounts = world.in_crm("salesforce")

    def stamps(created: datetime, modified: datetime | None = None) -> dict:
        created = world.clip(created)
        return {"CreatedDate": sf_datetime(created),
                "SystemModstamp": sf_datetime(max(created, world.clip(modified or created))),
                "IsDeleted": False}

    # Users: one per CSM, active since their first account.
    users: dict[str, str] = {}
    for account in accounts:
        email = (account.csm_email or FALLBACK_OWNER).lower()
        if email in users:
            continue
        uid = ids.make("005", email)
        users[email] = uid
        first, last = person_name(email)
        records["User"][uid] = {"Id": uid, "Email": email, "Name": f"{first} {last}".strip(),
                                "IsActive": True, "SystemModstamp": sf_datetime(world.clip(account.created_at))}

    contract_no = 100
    for account in accounts:
        aid = ids.make("001", account.account_id)
        churn = account.churn_date
        own = account.crm == "salesforce"  # else a copy: the account and its contacts only
        created_at = account.created_at if own else account.copy_created_at()
        records["Account"][aid] = {
            "Id": aid, **account.salesforce_fields(),  # Name, AccountNumber, Website
            "Industry": account.industry, "NumberOfEmployees": account.employees,
            "BillingCountry": account.country,
            "Type": "Former Customer" if account.churned else "Customer",
            "OwnerId": users[(account.csm_email or FALLBACK_OWNER).lower()],
            **stamps(created_at, world.stamp(churn, account.account_id) if churn else None),
            **{f.name: None for f in CS_FIELDS},
        }
        contact_ids: dict[str, str] = {}
        for contact in account.contacts:
            cid = ids.make("003", contact.contact_id)
            contact_ids[contact.contact_id] = cid
            created = created_at + timedelta(days=stable_int("contact", contact.contact_id) % 30)
            records["Contact"][cid] = {
                "Id": cid, "AccountId": aid, "Email": contact.email,
                "FirstName": contact.first_name, "LastName": contact.last_name or "[not provided]",
                "Title": contact.title, **stamps(created),
            }
        owner_of = {**users}

        def owner(email: str | None, account=account, owner_of=owner_of) -> str:
            key = (email or account.csm_email or FALLBACK_OWNER).lower()
            if key not in owner_of:  # an activity owner who owns no account: a user all the same
                uid = ids.make("005", key)
                first, last = person_name(key)
                records["User"][uid] = {"Id": uid, "Email": key, "Name": f"{first} {last}".strip(),
                                        "IsActive": True, "SystemModstamp": sf_datetime(world.clip(account.created_at))}
                owner_of[key] = users[key] = uid
            return owner_of[key]

        for activity in account.activities:
            if activity.crm == "salesforce":
                kind, record = activity_record(world, ids, activity, aid, contact_ids.get(activity.contact_id or ""),
                                               owner(activity.owner_email))
                records[kind][record["Id"]] = record
        if not own:
            continue
        for n, contract in enumerate(account.contracts):
            kid = ids.make("800", contract.contract_id)
            created = max(account.created_at, world.stamp(contract.start, contract.contract_id))
            ended = world.contract_ended(contract)
            records["Contract"][kid] = {
                "Id": kid, "AccountId": aid, "ContractNumber": f"{contract_no:08d}",
                "StartDate": sf_date(contract.start), "EndDate": sf_date(contract.end),
                "Status": "Expired" if ended else "Activated",
                "ContractTerm": contract.term_months, "MRR__c": contract.mrr,
                "Seats__c": float(contract.seats) if contract.seats is not None else None,
                "Plan__c": contract.plan,
                **stamps(created, world.stamp(contract.end, contract.contract_id, "end") if ended else None),
            }
            contract_no += 1
            kind = "New Business" if n == 0 else "Renewal"
            oid = ids.make("006", contract.contract_id)
            opened = max(account.created_at, _day_start(contract.start) - timedelta(days=30))
            records["Opportunity"][oid] = {
                "Id": oid, "AccountId": aid, "Name": f"{account.name} - {kind} {contract.start:%Y-%m}",
                "Type": kind, "StageName": "Closed Won", "CloseDate": sf_date(contract.start),
                "Amount": contract.total_value, "IsClosed": True, "IsWon": True,
                **stamps(world.stamp(opened.date(), contract.contract_id, "opp"),
                         world.stamp(contract.start, contract.contract_id, "won")),
            }
        if account.churned:
            last = account.contracts[-1]
            oid = ids.make("006", last.contract_id, "lost")
            opened = max(_day_start(last.start), _day_start(last.end) - timedelta(days=60))
            records["Opportunity"][oid] = {
                "Id": oid, "AccountId": aid, "Name": f"{account.name} - Renewal {last.end:%Y-%m}",
                "Type": "Renewal", "StageName": "Closed Lost", "CloseDate": sf_date(last.end),
                "Amount": last.total_value, "IsClosed": True, "IsWon": False,
                **stamps(world.stamp(opened.date(), last.contract_id, "lost"),
                         world.stamp(last.end, last.contract_id, "lost-closed")),
            }
    return records


TASK_SUBTYPE = {"call": ("Call", "Call"), "email": ("Email", "Email"), "task": ("Task", "Other"),
                "note": ("Task", "Other")}  # world kind -> (TaskSubtype, Type)
ARCHIVE_AFTER_DAYS = 365  # Salesforce archives activities older than a year: queryAll only


def activity_record(world: CrmWorld, ids: IdFactory, activity: Activity, account_id: str,
                    contact_id: str | None, owner_id: str) -> tuple[str, dict]:
    """A meeting is an Event (booked a few days ahead, 30-60 minutes); a call, e-mail, to-do
    or note a completed Task. WhatId is the Account (so AccountId is too), WhoId the contact."""
    occurred = world.clip(activity.occurred_at)
    archived = occurred.date() < world.as_of - timedelta(days=ARCHIVE_AFTER_DAYS)
    common = {"WhoId": contact_id, "WhatId": account_id, "AccountId": account_id, "OwnerId": owner_id,
              "Subject": activity.subject, "IsArchived": archived}
    deleted = activity.deleted_at is not None and activity.deleted_at <= world.as_of_end
    if activity.kind == "meeting":
        created = occurred - timedelta(days=stable_int("booked", activity.activity_id) % 10)
        minutes = 30 * (1 + stable_int("length", activity.activity_id) % 2)
        record = {"Id": ids.make("00U", activity.activity_id), **common, "Type": "Meeting", "EventSubtype": "Event",
                  "StartDateTime": sf_datetime(occurred), "ActivityDateTime": sf_datetime(occurred),
                  "EndDateTime": sf_datetime(occurred + timedelta(minutes=minutes)),
                  "ActivityDate": sf_date(occurred.date()), "DurationInMinutes": minutes}
        kind = "Event"
    else:
        created = occurred
        subtype, type_ = TASK_SUBTYPE.get(activity.kind, ("Task", "Other"))
        record = {"Id": ids.make("00T", activity.activity_id), **common, "Type": type_, "TaskSubtype": subtype,
                  "ActivityDate": sf_date(occurred.date()), "Status": "Completed", "Priority": "Normal",
                  "CompletedDateTime": sf_datetime(occurred), "IsClosed": True}
        kind = "Task"
    record.update({"CreatedDate": sf_datetime(created),
                   "SystemModstamp": sf_datetime(world.clip(activity.deleted_at) if deleted else occurred),
                   "IsDeleted": deleted})
    return kind, record


def _day_start(day) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)
