"""The registry of source systems: everything the rest of cs360 knows about each of them.

Adding a system is one folder under `pipelines/` (its `@dlt.source` and its settings) and
one entry here. From these entries come the Dagster assets of each raw table (and of the
CRM sync when the system is also a destination), the skipping of unconfigured systems in
every launch (schedules, `cs360 run`, the UI's jobs), the freshness policy, `cs360 status`
and the raw fixture of the dbt tests; tests/test_systems.py compares the tables with the
dbt sources (`dbt_project/models/staging/<system>/_<system>__sources.yml`).

Nothing here reads the environment or imports Dagster: `settings` is called when a run
starts, and `source()` without settings only names the resources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dlt.sources import DltSource

from cs360_core.configuration import SourceNotConfigured
from pipelines import credentials
from pipelines.delighted import delighted
from pipelines.freshdesk import freshdesk
from pipelines.hubspot import hubspot
from pipelines.product import product
from pipelines.salesforce import salesforce
from pipelines.skilljar import skilljar
from pipelines.surveys import surveys
from pipelines.thinkific import thinkific
from pipelines.training import training
from pipelines.typeform import typeform
from pipelines.validation import REJECTED_TABLE
from pipelines.zendesk import zendesk

# Freshness classes: what CSMs need within the hour (NPS detractors, urgent tickets) is
# loaded hourly; the rest daily. The windows live in orchestration/automation.py.
FREQUENT = "frequent"
DAILY = "daily"
FRESHNESS_CLASSES = (FREQUENT, DAILY)

# What dlt writes to every raw dataset besides the system's tables: quarantined records
# (pipelines/validation.py), and on every row its load id and row id.
REJECTED_SCHEMA = {"resource": "VARCHAR", "record": "VARCHAR", "reason": "VARCHAR", "rejected_at": "TIMESTAMPTZ"}
DLT_COLUMNS = {"_dlt_load_id": "VARCHAR", "_dlt_id": "VARCHAR"}

Schema = Mapping[str, str]  # column -> the DuckDB type dlt lands it as


@dataclass(frozen=True)
class System:
    name: str                                  # the dlt source's name; raw dataset raw_<name>
    source: Callable[..., DltSource]           # the @dlt.source; called with the settings of the run
    settings: Callable[[], object]             # reads the environment; SourceNotConfigured when unset
    env_vars: tuple[str, ...]                  # the variables `settings` reads, for docs and errors
    freshness: str                             # FREQUENT or DAILY
    tables: Mapping[str, Schema]               # raw tables dbt reads, with their columns and types
    description: str = ""
    crm_destination: str | None = None         # reverse ETL writes back to it (reverse_etl/mappings.yaml)
    dbt_source: str | None = None              # the dbt source's name, when not the system's name
    # its resources extract side by side in threads (dlt's `parallelize`): API pages overlap
    # their waits; off where resources share one connection or already stream Arrow batches
    parallel_extract: bool = True
    # its extract reads the warehouse (loaded keys, loaded files): it holds the writer slot
    # for the whole step instead of only around the load
    extract_reads_warehouse: bool = False

    def __post_init__(self) -> None:
        if self.freshness not in FRESHNESS_CLASSES:
            raise ValueError(f"{self.name}: freshness must be one of {FRESHNESS_CLASSES}, got {self.freshness!r}")

    @property
    def raw_dataset(self) -> str:
        return f"raw_{self.name}"

    @property
    def dbt_source_name(self) -> str:
        return self.dbt_source or self.name

    @property
    def raw_tables(self) -> dict[str, Schema]:
        """Every raw table of the system, the quarantine included."""
        return {**self.tables, REJECTED_TABLE: REJECTED_SCHEMA}

    def unconfigured_reason(self) -> str | None:
        """None when the environment configures the system, else the one line saying why it is skipped."""
        try:
            self.settings()
        except SourceNotConfigured as reason:
            return str(reason)
        return None


SYSTEMS: tuple[System, ...] = (
    System(
        name="product",
        source=product,
        settings=credentials.product_settings,
        env_vars=("PRODUCT_DB_URL", "PRODUCT_EVENTS_PATH"),
        freshness=DAILY,
        description="Product database (tenants, users) and event files",
        parallel_extract=False,  # one SQLAlchemy source (dlt's sql_database) and Arrow batches of files
        extract_reads_warehouse=True,  # deleted rows and unfinished event loads are found in the warehouse
        tables={
            "tenants": {"tenant_id": "VARCHAR", "name": "VARCHAR", "signup_email": "VARCHAR",
                        "created_at": "TIMESTAMPTZ",
                        "crm_account_id": "VARCHAR"},  # optional: a product that stores the customer number
            "users": {"user_id": "VARCHAR", "tenant_id": "VARCHAR", "email": "VARCHAR", "role": "VARCHAR",
                      "created_at": "TIMESTAMPTZ"},
            "events": {"event_id": "VARCHAR", "tenant_id": "VARCHAR", "user_id": "VARCHAR", "event_type": "VARCHAR",
                       "feature": "VARCHAR", "occurred_at": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="salesforce",
        source=salesforce,
        settings=credentials.salesforce_settings,
        env_vars=("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD",
                  "SALESFORCE_SECURITY_TOKEN", "SALESFORCE_DOMAIN"),
        freshness=DAILY,
        description="Salesforce sObjects; health fields written back to Account",
        crm_destination="salesforce",
        tables={
            "accounts": {"id": "VARCHAR", "name": "VARCHAR", "account_number": "VARCHAR", "website": "VARCHAR",
                         "industry": "VARCHAR", "number_of_employees": "BIGINT", "billing_country": "VARCHAR",
                         "type": "VARCHAR", "owner_id": "VARCHAR", "created_date": "TIMESTAMPTZ",
                         "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN"},
            "contacts": {"id": "VARCHAR", "account_id": "VARCHAR", "email": "VARCHAR", "first_name": "VARCHAR",
                         "last_name": "VARCHAR", "title": "VARCHAR", "created_date": "TIMESTAMPTZ",
                         "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN"},
            # dates as strings here (as simple-salesforce returns them) ...
            "contracts": {"id": "VARCHAR", "account_id": "VARCHAR", "contract_number": "VARCHAR",
                          "start_date": "VARCHAR", "end_date": "VARCHAR", "status": "VARCHAR",
                          "contract_term": "BIGINT", "mrr__c": "DOUBLE", "seats__c": "DOUBLE", "plan__c": "VARCHAR",
                          "created_date": "TIMESTAMPTZ", "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN"},
            # ... and as DATE here (as dlt lands them with date detection on)
            "opportunities": {"id": "VARCHAR", "account_id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR",
                              "stage_name": "VARCHAR", "close_date": "DATE", "amount": "DOUBLE",
                              "is_closed": "BOOLEAN", "is_won": "BOOLEAN", "created_date": "TIMESTAMPTZ",
                              "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN"},
            "users": {"id": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR", "is_active": "BOOLEAN",
                      "system_modstamp": "TIMESTAMPTZ"},
            # activities (queryAll: deleted and archived ones too)
            "tasks": {"id": "VARCHAR", "who_id": "VARCHAR", "what_id": "VARCHAR", "account_id": "VARCHAR",
                      "owner_id": "VARCHAR", "subject": "VARCHAR", "type": "VARCHAR", "task_subtype": "VARCHAR",
                      "status": "VARCHAR", "activity_date": "VARCHAR", "completed_date_time": "TIMESTAMPTZ",
                      "created_date": "TIMESTAMPTZ", "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN"},
            "events": {"id": "VARCHAR", "who_id": "VARCHAR", "what_id": "VARCHAR", "account_id": "VARCHAR",
                       "owner_id": "VARCHAR", "subject": "VARCHAR", "type": "VARCHAR", "event_subtype": "VARCHAR",
                       "start_date_time": "TIMESTAMPTZ", "end_date_time": "TIMESTAMPTZ", "activity_date": "VARCHAR",
                       "duration_in_minutes": "BIGINT", "created_date": "TIMESTAMPTZ",
                       "system_modstamp": "TIMESTAMPTZ", "is_deleted": "BOOLEAN"},
        },
    ),
    System(
        name="hubspot",
        source=hubspot,
        settings=credentials.hubspot_settings,
        env_vars=("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL"),
        freshness=DAILY,
        description="HubSpot CRM objects; health properties written back to companies",
        crm_destination="hubspot",
        # HubSpot returns properties as strings; dlt turns ISO datetimes into TIMESTAMPTZ
        tables={
            "companies": {"id": "VARCHAR", "name": "VARCHAR", "domain": "VARCHAR", "industry": "VARCHAR",
                          "numberofemployees": "VARCHAR", "country": "VARCHAR", "customer_id": "VARCHAR",
                          "hubspot_owner_id": "VARCHAR", "lifecyclestage": "VARCHAR", "customer_status": "VARCHAR",
                          "createdate": "TIMESTAMPTZ", "hs_lastmodifieddate": "TIMESTAMPTZ", "archived": "BOOLEAN"},
            "contacts": {"id": "VARCHAR", "email": "VARCHAR", "firstname": "VARCHAR", "lastname": "VARCHAR",
                         "jobtitle": "VARCHAR", "associatedcompanyid": "VARCHAR", "createdate": "TIMESTAMPTZ",
                         "lastmodifieddate": "TIMESTAMPTZ", "archived": "BOOLEAN"},
            "deals": {"id": "VARCHAR", "company_id": "VARCHAR", "dealname": "VARCHAR", "dealtype": "VARCHAR",
                      "dealstage": "VARCHAR", "pipeline": "VARCHAR", "amount": "VARCHAR", "closedate": "TIMESTAMPTZ",
                      "contract_start_date": "VARCHAR", "contract_end_date": "VARCHAR", "mrr": "VARCHAR",
                      "seats": "VARCHAR", "plan": "VARCHAR", "createdate": "TIMESTAMPTZ",
                      "hs_lastmodifieddate": "TIMESTAMPTZ", "archived": "BOOLEAN"},
            "owners": {"id": "VARCHAR", "email": "VARCHAR", "first_name": "VARCHAR", "last_name": "VARCHAR",
                       "archived": "BOOLEAN"},
            # engagements (activities), each with its first associated company and contact
            **{kind: {"id": "VARCHAR", "archived": "BOOLEAN", "hs_timestamp": "TIMESTAMPTZ",
                      "hubspot_owner_id": "VARCHAR", "hs_createdate": "TIMESTAMPTZ",
                      "hs_lastmodifieddate": "TIMESTAMPTZ", **extra, "company_id": "VARCHAR", "contact_id": "VARCHAR"}
               for kind, extra in (
                   ("calls", {"hs_call_title": "VARCHAR", "hs_call_direction": "VARCHAR",
                              "hs_call_status": "VARCHAR", "hs_call_duration": "VARCHAR"}),
                   ("meetings", {"hs_meeting_title": "VARCHAR", "hs_meeting_start_time": "TIMESTAMPTZ",
                                 "hs_meeting_end_time": "TIMESTAMPTZ", "hs_meeting_outcome": "VARCHAR"}),
                   ("emails", {"hs_email_subject": "VARCHAR", "hs_email_direction": "VARCHAR",
                               "hs_email_status": "VARCHAR"}),
                   ("notes", {"hs_note_body": "VARCHAR"}),
               )},
        },
    ),
    System(
        name="zendesk",
        source=zendesk,
        settings=credentials.zendesk_settings,
        env_vars=("ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"),
        freshness=FREQUENT,
        description="Zendesk tickets, requesters, ticket metrics, satisfaction ratings",
        tables={
            "tickets": {"id": "BIGINT", "requester_id": "BIGINT", "subject": "VARCHAR", "priority": "VARCHAR",
                        "status": "VARCHAR", "created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ",
                        "satisfaction_rating__score": "VARCHAR"},
            "users": {"id": "BIGINT", "email": "VARCHAR", "name": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
            "ticket_metrics": {"id": "BIGINT", "ticket_id": "BIGINT", "created_at": "TIMESTAMPTZ",
                               "updated_at": "TIMESTAMPTZ", "reply_time_in_minutes__calendar": "BIGINT",
                               "full_resolution_time_in_minutes__calendar": "BIGINT", "solved_at": "TIMESTAMPTZ"},
            "satisfaction_ratings": {"id": "BIGINT", "ticket_id": "BIGINT", "requester_id": "BIGINT",
                                     "score": "VARCHAR", "created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="freshdesk",
        source=freshdesk,
        settings=credentials.freshdesk_settings,
        env_vars=("FRESHDESK_BASE_URL", "FRESHDESK_API_KEY"),
        freshness=FREQUENT,
        description="Freshdesk tickets (SLA stats, requester) and satisfaction ratings",
        tables={
            "tickets": {"id": "BIGINT", "requester_id": "BIGINT", "requester__email": "VARCHAR", "subject": "VARCHAR",
                        "priority": "BIGINT", "status": "BIGINT", "created_at": "TIMESTAMPTZ",
                        "updated_at": "TIMESTAMPTZ", "fr_due_by": "TIMESTAMPTZ", "due_by": "TIMESTAMPTZ",
                        "stats__first_responded_at": "TIMESTAMPTZ", "stats__resolved_at": "TIMESTAMPTZ",
                        "is_deleted": "BOOLEAN"},
            "satisfaction_ratings": {"id": "BIGINT", "ticket_id": "BIGINT", "ratings__default_question": "BIGINT",
                                     "created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="surveys",
        source=surveys,
        settings=credentials.survey_settings,
        env_vars=("SURVEY_BASE_URL", "SURVEY_API_TOKEN"),
        freshness=FREQUENT,
        description="NPS survey tool: invitations and responses",
        tables={
            "invitations": {"id": "VARCHAR", "email": "VARCHAR", "survey": "VARCHAR", "sent_at": "TIMESTAMPTZ",
                            "updated_at": "TIMESTAMPTZ"},
            "responses": {"id": "VARCHAR", "invitation_id": "VARCHAR", "email": "VARCHAR", "score": "BIGINT",
                          "comment": "VARCHAR", "responded_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="delighted",
        source=delighted,
        settings=credentials.delighted_settings,
        env_vars=("DELIGHTED_API_KEY", "DELIGHTED_BASE_URL"),
        freshness=FREQUENT,
        description="Delighted (NPS): survey responses and the people surveyed",
        tables={
            "survey_responses": {"id": "VARCHAR", "person_id": "VARCHAR", "email": "VARCHAR", "survey_type": "VARCHAR",
                                 "score": "BIGINT", "comment": "VARCHAR", "permalink": "VARCHAR",
                                 "person_properties": "JSON", "tags": "JSON", "created_at": "TIMESTAMPTZ",
                                 "updated_at": "TIMESTAMPTZ"},
            "people": {"id": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR", "created_at": "TIMESTAMPTZ",
                       "last_sent_at": "TIMESTAMPTZ", "last_responded_at": "TIMESTAMPTZ",
                       "next_survey_scheduled_at": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="typeform",
        source=typeform,
        settings=credentials.typeform_settings,
        env_vars=("TYPEFORM_ACCESS_TOKEN", "TYPEFORM_FORM_IDS", "TYPEFORM_BASE_URL", "TYPEFORM_SCORE_REF",
                  "TYPEFORM_COMMENT_REF", "TYPEFORM_EMAIL_FIELD"),
        freshness=FREQUENT,
        description="Typeform: responses to the NPS forms",
        tables={
            "responses": {"id": "VARCHAR", "form_id": "VARCHAR", "email": "VARCHAR", "score": "BIGINT",
                          "comment": "VARCHAR", "landed_at": "TIMESTAMPTZ", "submitted_at": "TIMESTAMPTZ",
                          "hidden": "JSON", "answers": "JSON"},
        },
    ),
    System(
        name="training",
        source=training,
        settings=credentials.training_settings,
        env_vars=("LMS_BASE_URL", "LMS_API_TOKEN"),
        freshness=DAILY,
        description="Training / LMS: courses and enrollments",
        tables={
            "courses": {"id": "VARCHAR", "title": "VARCHAR", "kind": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
            "enrollments": {"id": "VARCHAR", "course_id": "VARCHAR", "email": "VARCHAR",
                            "registered_at": "TIMESTAMPTZ", "attended_at": "TIMESTAMPTZ",
                            "completed_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="skilljar",
        source=skilljar,
        settings=credentials.skilljar_settings,
        env_vars=("SKILLJAR_API_KEY", "SKILLJAR_DOMAIN", "SKILLJAR_BASE_URL"),
        freshness=DAILY,
        description="Skilljar (API v1): courses, published courses, enrollments, course progress",
        tables={
            "courses": {"id": "VARCHAR", "title": "VARCHAR", "labels": "VARCHAR", "created_at": "TIMESTAMPTZ",
                        "modified_at": "TIMESTAMPTZ"},
            "published_courses": {"id": "VARCHAR", "course_id": "VARCHAR", "course_title": "VARCHAR",
                                  "slug": "VARCHAR"},
            "enrollments": {"id": "VARCHAR", "published_course_id": "VARCHAR", "course_id": "VARCHAR",
                            "user_id": "VARCHAR", "email": "VARCHAR", "enrolled_at": "TIMESTAMPTZ",
                            "expires_at": "TIMESTAMPTZ", "active": "BOOLEAN"},
            "course_progress": {"course_progress_id": "VARCHAR", "user_id": "VARCHAR",
                                "published_course_id": "VARCHAR", "course_id": "VARCHAR", "course_title": "VARCHAR",
                                "enrollment_id": "VARCHAR", "enrolled_at": "TIMESTAMPTZ",
                                "completed_at": "TIMESTAMPTZ", "latest_activity": "TIMESTAMPTZ"},
        },
    ),
    System(
        name="thinkific",
        source=thinkific,
        settings=credentials.thinkific_settings,
        env_vars=("THINKIFIC_ACCESS_TOKEN", "THINKIFIC_API_KEY", "THINKIFIC_SUBDOMAIN", "THINKIFIC_BASE_URL"),
        freshness=DAILY,
        description="Thinkific (Admin API): courses and enrollments with their completions",
        tables={
            "courses": {"id": "BIGINT", "name": "VARCHAR", "slug": "VARCHAR", "keywords": "VARCHAR",
                        "product_id": "BIGINT"},
            "enrollments": {"id": "BIGINT", "course_id": "BIGINT", "course_name": "VARCHAR", "user_id": "BIGINT",
                            "user_email": "VARCHAR", "user_name": "VARCHAR", "activated_at": "TIMESTAMPTZ",
                            "started_at": "TIMESTAMPTZ", "completed_at": "TIMESTAMPTZ", "completed": "BOOLEAN",
                            "percentage_completed": "DOUBLE", "expired": "BOOLEAN", "is_free_trial": "BOOLEAN",
                            "expiry_date": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        },
    ),
)


def by_name(systems: tuple[System, ...] = SYSTEMS) -> dict[str, System]:
    return {system.name: system for system in systems}


def unconfigured(systems: tuple[System, ...] = SYSTEMS) -> dict[str, str]:
    """System name -> the one line explaining why it is skipped, for every unconfigured system."""
    return {system.name: reason for system in systems if (reason := system.unconfigured_reason())}
