"""The Salesforce objects the double serves: fields, describe output, record Ids.

Fields are exactly those the pipeline reads (docs/architecture.md, raw_salesforce
tables) plus the writable CS_* Account fields of contract section 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sandbox.doubles.common import stable_int

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
POD = "Hp0"  # 2-char instance + reserved char, as in real 15-char Ids


# --- Ids --------------------------------------------------------------------------------

def to18(id15: str) -> str:
    """Append the case-safe checksum: per 5-char chunk, a bit per uppercase letter
    (first char = lowest bit), mapped through A-Z0-5."""
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start:start + 5]
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += SUFFIX_ALPHABET[bits]
    return id15 + suffix


def normalize_id(value: object) -> str | None:
    """The canonical 18-char Id for a 15- or 18-char Id, or None when malformed.

    An 18-char Id is case-insensitive: its suffix says which letters are uppercase.
    """
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum():
        return None
    if len(value) == 15:
        return to18(value)
    chars = list(value[:15])
    for chunk, flag in enumerate(value[15:].upper()):
        bits = SUFFIX_ALPHABET.find(flag)
        if bits < 0:
            return None
        for i in range(5):
            ch = chars[chunk * 5 + i]
            chars[chunk * 5 + i] = ch.upper() if bits >> i & 1 else ch.lower()
    return to18("".join(chars))


def _base62(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out


class IdFactory:
    """Deterministic Ids: the same world row always gets the same Id."""

    def __init__(self):
        self.taken: set[str] = set()

    def make(self, prefix: str, *key: object) -> str:
        n = stable_int("sfid", prefix, *key)
        while True:
            id15 = prefix + POD + _base62(n, 9)
            if id15.lower() not in self.taken:  # case-insensitive unique, like 18-char Ids
                self.taken.add(id15.lower())
                return to18(id15)
            n = stable_int(n)


# --- values -----------------------------------------------------------------------------

def sf_datetime(moment: datetime) -> str:
    """Salesforce's JSON datetime: 2026-03-04T09:15:00.000+0000."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def sf_date(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- fields and objects -----------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    type: str  # id string url email picklist textarea int double currency date datetime boolean reference
    label: str
    updateable: bool = True
    nillable: bool = True
    length: int = 0
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: str | None = None
    calculated: bool = False

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")


def _system_fields(deletable: bool = True) -> list[Field]:
    fields = [
        Field("CreatedDate", "datetime", "Created Date", updateable=False, nillable=False),
        Field("SystemModstamp", "datetime", "System Modstamp", updateable=False, nillable=False),
    ]
    if deletable:
        fields.append(Field("IsDeleted", "boolean", "Deleted", updateable=False, nillable=False))
    return fields


def _id() -> Field:
    return Field("Id", "id", "Record ID", updateable=False, nillable=False, length=18)


def _activity_links() -> list[Field]:
    """What Task and Event share: who (a Contact or Lead), what (an Account, Opportunity …),
    the Account Salesforce derives from them, the owner and the subject."""
    return [
        Field("WhoId", "reference", "Name ID", length=18, reference_to="Contact"),
        Field("WhatId", "reference", "Related To ID", length=18, reference_to="Account"),
        Field("AccountId", "reference", "Account ID", updateable=False, length=18, reference_to="Account"),
        Field("OwnerId", "reference", "Assigned To ID", nillable=False, length=18, reference_to="User"),
        Field("Subject", "string", "Subject", length=255),
    ]


CS_FIELDS = [
    Field("CS_Health_Score__c", "double", "Health Score"),
    Field("CS_Health_Band__c", "picklist", "Health Band", length=255,
          picklist=("red", "yellow", "green"), restricted=True),
    Field("CS_Health_Trend_30d__c", "double", "Health Trend 30d"),
    Field("CS_Health_Reasons__c", "textarea", "Health Reasons", length=32768),
    Field("CS_Lifecycle_Stage__c", "picklist", "Lifecycle Stage", length=255,
          picklist=("onboarding", "adoption", "renewal", "churned"), restricted=True),
    Field("CS_Churn_Risk__c", "double", "Churn Risk"),
    Field("CS_Churn_Drivers__c", "textarea", "Churn Drivers", length=32768),
    Field("CS_Account_Page_URL__c", "url", "Account Page URL", length=255),
    Field("CS_Score_Updated_At__c", "datetime", "Score Updated At"),
]


@dataclass
class SObject:
    name: str
    label: str
    prefix: str
    fields: list[Field]
    by_lower: dict[str, Field] = field(init=False)

    def __post_init__(self):
        self.by_lower = {f.name.lower(): f for f in self.fields}

    def field(self, name: str) -> Field | None:
        return self.by_lower.get(name.lower())


def build_objects(industries=(), plans=()) -> dict[str, SObject]:
    """Account, Contact, Contract, Opportunity, Task, Event and User; open picklists (Industry, Plan__c) list the world's values."""
    objects = [
        SObject("Account", "Account", "001", [
            _id(),
            Field("Name", "string", "Account Name", nillable=False, length=255),
            Field("AccountNumber", "string", "Account Number", length=40),
            Field("Website", "url", "Website", length=255),
            Field("Industry", "picklist", "Industry", length=255, picklist=tuple(industries)),
            Field("NumberOfEmployees", "int", "Employees"),
            Field("BillingCountry", "string", "Billing Country", length=80),
            Field("Type", "picklist", "Account Type", length=255,
                  picklist=("Prospect", "Customer", "Former Customer", "Partner", "Other")),
            Field("OwnerId", "reference", "Owner ID", nillable=False, length=18, reference_to="User"),
            *_system_fields(), *CS_FIELDS,
        ]),
        SObject("Contact", "Contact", "003", [
            _id(),
            Field("AccountId", "reference", "Account ID", length=18, reference_to="Account"),
            Field("Email", "email", "Email", length=80),
            Field("FirstName", "string", "First Name", length=40),
            Field("LastName", "string", "Last Name", nillable=False, length=80),
            Field("Title", "string", "Title", length=128),
            *_system_fields(),
        ]),
        SObject("Contract", "Contract", "800", [
            _id(),
            Field("AccountId", "reference", "Account ID", nillable=False, length=18, reference_to="Account"),
            Field("ContractNumber", "string", "Contract Number", updateable=False, nillable=False, length=30),
            Field("StartDate", "date", "Contract Start Date"),
            Field("EndDate", "date", "Contract End Date", updateable=False, calculated=True),
            Field("Status", "picklist", "Status", nillable=False, length=40,
                  picklist=("Draft", "In Approval Process", "Activated", "Expired"), restricted=True),
            Field("ContractTerm", "int", "Contract Term (months)"),
            Field("MRR__c", "currency", "MRR"),
            Field("Seats__c", "double", "Seats"),
            Field("Plan__c", "picklist", "Plan", length=255, picklist=tuple(plans)),
            *_system_fields(),
        ]),
        SObject("Opportunity", "Opportunity", "006", [
            _id(),
            Field("AccountId", "reference", "Account ID", length=18, reference_to="Account"),
            Field("Name", "string", "Name", nillable=False, length=120),
            Field("Type", "picklist", "Opportunity Type", length=255,
                  picklist=("New Business", "Renewal", "Existing Business")),
            Field("StageName", "picklist", "Stage", nillable=False, length=255,
                  picklist=("Prospecting", "Qualification", "Proposal", "Negotiation",
                            "Closed Won", "Closed Lost"), restricted=True),
            Field("CloseDate", "date", "Close Date", nillable=False),
            Field("Amount", "currency", "Amount"),
            Field("IsClosed", "boolean", "Closed", updateable=False, nillable=False, calculated=True),
            Field("IsWon", "boolean", "Won", updateable=False, nillable=False, calculated=True),
            *_system_fields(),
        ]),
        SObject("Task", "Task", "00T", [
            _id(), *_activity_links(),
            Field("ActivityDate", "date", "Due Date Only"),
            Field("Status", "picklist", "Status", nillable=False, length=40,
                  picklist=("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")),
            Field("Priority", "picklist", "Priority", nillable=False, length=40, picklist=("High", "Normal", "Low")),
            Field("Type", "picklist", "Type", length=40, picklist=("Call", "Email", "Meeting", "Other")),
            Field("TaskSubtype", "picklist", "Task Subtype", updateable=False, length=40, restricted=True,
                  picklist=("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")),
            Field("CompletedDateTime", "datetime", "Completed Date/Time", updateable=False),
            Field("IsClosed", "boolean", "Closed", updateable=False, nillable=False, calculated=True),
            Field("IsArchived", "boolean", "Archived", updateable=False, nillable=False),
            *_system_fields(),
        ]),
        SObject("Event", "Event", "00U", [
            _id(), *_activity_links(),
            Field("Type", "picklist", "Type", length=40, picklist=("Call", "Email", "Meeting", "Other")),
            Field("EventSubtype", "picklist", "Event Subtype", updateable=False, length=40, restricted=True,
                  picklist=("Event",)),
            Field("StartDateTime", "datetime", "Start Date Time"),
            Field("EndDateTime", "datetime", "End Date Time"),
            Field("ActivityDateTime", "datetime", "Due Date Time"),
            Field("ActivityDate", "date", "Due Date Only"),
            Field("DurationInMinutes", "int", "Duration"),
            Field("IsArchived", "boolean", "Archived", updateable=False, nillable=False),
            *_system_fields(),
        ]),
        SObject("User", "User", "005", [
            _id(),
            Field("Email", "email", "Email", nillable=False, length=128),
            Field("Name", "string", "Full Name", updateable=False, nillable=False, length=121),
            Field("IsActive", "boolean", "Active", nillable=False),
            Field("SystemModstamp", "datetime", "System Modstamp", updateable=False, nillable=False),
        ]),
    ]
    return {o.name: o for o in objects}


_SOAP = {"id": "tns:ID", "reference": "tns:ID", "string": "xsd:string", "url": "xsd:string",
         "email": "xsd:string", "picklist": "xsd:string", "textarea": "xsd:string",
         "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double",
         "date": "xsd:date", "datetime": "xsd:dateTime", "boolean": "xsd:boolean"}


def describe_field(f: Field) -> dict:
    numeric = f.type in ("double", "currency")
    return {
        "name": f.name, "label": f.label, "type": f.type, "soapType": _SOAP[f.type],
        "length": f.length, "byteLength": f.length * 3,
        "precision": 18 if numeric else 0, "scale": 2 if numeric else 0,
        "digits": 9 if f.type == "int" else 0,
        "updateable": f.updateable, "createable": f.updateable,
        "nillable": f.nillable, "custom": f.custom, "calculated": f.calculated,
        "autoNumber": f.name == "ContractNumber", "unique": False, "externalId": False,
        "idLookup": f.type == "id", "nameField": f.name == "Name",
        "filterable": f.type != "textarea", "sortable": f.type != "textarea",
        "groupable": f.type not in ("textarea", "double", "currency", "datetime"),
        "defaultedOnCreate": f.type in ("id", "boolean") or f.name in ("CreatedDate", "SystemModstamp"),
        "restrictedPicklist": f.restricted,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in f.picklist
        ],
        "referenceTo": [f.reference_to] if f.reference_to else [],
        "relationshipName": f.name[:-2] if f.reference_to else None,
        "extraTypeInfo": "plaintextarea" if f.type == "textarea" else None,
        "htmlFormatted": False, "caseSensitive": False, "defaultValue": None,
        "inlineHelpText": None,
    }


def describe_object(obj: SObject, base: str) -> dict:
    url = f"{base}sobjects/{obj.name}"
    return {
        "name": obj.name, "label": obj.label, "labelPlural": obj.label + "s",
        "keyPrefix": obj.prefix, "custom": False, "createable": True,
        "updateable": True, "deletable": obj.name != "User", "queryable": True,
        "retrieveable": True, "searchable": True, "layoutable": True,
        "replicateable": True, "triggerable": True, "undeletable": obj.name != "User",
        "urls": {"sobject": url, "describe": f"{url}/describe", "rowTemplate": f"{url}/{{ID}}"},
        "fields": [describe_field(f) for f in obj.fields],
        "childRelationships": [], "recordTypeInfos": [],
    }


def describe_global(objects: dict[str, SObject], base: str) -> dict:
    return {
        "encoding": "UTF-8", "maxBatchSize": 200,
        "sobjects": [
            {k: v for k, v in describe_object(o, base).items()
             if k not in ("fields", "childRelationships", "recordTypeInfos")}
            for o in objects.values()
        ],
    }
