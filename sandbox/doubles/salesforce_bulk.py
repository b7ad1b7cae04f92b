"""Bulk API 2.0 ingest jobs for the Salesforce double (what `sf.bulk2.<Object>` drives).

  POST   jobs/ingest                      create: object, operation, externalIdFieldName,
                                          contentType CSV, lineEnding, columnDelimiter
  GET    jobs/ingest                      all jobs
  PUT    jobs/ingest/{id}/batches         the CSV (once per job), 201
  PATCH  jobs/ingest/{id}                 {"state": "UploadComplete" | "Aborted"}
  GET    jobs/ingest/{id}                 state: Open → UploadComplete → InProgress → JobComplete
                                          (or Failed / Aborted), numberRecordsProcessed/Failed
  GET    jobs/ingest/{id}/successfulResults | failedResults | unprocessedrecords   CSV
  DELETE jobs/ingest/{id}

Operations: update, upsert (externalIdFieldName Id: the served objects have no external id
fields) and delete. In the CSV an empty value leaves a field alone and #N/A clears it, as
in Bulk API. A header naming an unknown field fails the whole job ("InvalidBatch : Field
name not found"); everything else fails per row, with sf__Error "CODE:message:fields --".
The data is applied at UploadComplete; the job reports InProgress for `bulk_polls` polls
before JobComplete, so callers exercise their polling.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from sandbox.doubles.common import json_body, json_response, request_faults
from sandbox.doubles.faults import failing_records
from sandbox.doubles.salesforce_schema import POD, describe_field, normalize_id, sf_datetime, to18
from sandbox.doubles.salesforce_write import RequestError, check_update, coerce, error

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
SUPPORTED = ("update", "upsert", "delete")
TERMINAL = ("JobComplete", "Failed", "Aborted")
RESULT_KINDS = {"successfulresults": "successfulResults", "failedresults": "failedResults",
                "unprocessedrecords": "unprocessedrecords"}


def bulk_error(status: int, code: str, message: str) -> Response:
    return json_response([{"errorCode": code, "message": message}], status)


def save_error_text(err: dict) -> str:
    """A SaveResult error as Bulk API writes it in sf__Error."""
    fields = " ".join(err.get("fields") or [])
    return f"{err['statusCode']}:{err['message']}:{fields + ' ' if fields else ''}--"


@dataclass
class BulkJob:
    id: str
    object: str
    operation: str
    external_id: str | None
    line_ending: str
    delimiter: str
    api_version: str
    created_by: str
    created: datetime
    state: str = "Open"
    modified: datetime | None = None
    data: str | None = None
    header: list[str] = field(default_factory=list)
    outcomes: list[tuple[dict, str, str | None]] = field(default_factory=list)  # row, sf__Id, error
    unprocessed: list[dict] = field(default_factory=list)
    error_message: str | None = None
    final_state: str | None = None
    polls_left: int = 0

    def info(self, detailed: bool = False) -> dict:
        body = {
            "id": self.id, "operation": self.operation, "object": self.object, "createdById": self.created_by,
            "createdDate": sf_datetime(self.created), "systemModstamp": sf_datetime(self.modified or self.created),
            "state": self.state, "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(self.api_version), "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending, "columnDelimiter": self.delimiter,
        }
        if self.external_id:
            body["externalIdFieldName"] = self.external_id
        if detailed:
            done = self.state in ("JobComplete", "Failed")
            failed = sum(1 for *_, err in self.outcomes if err) if done else 0
            body.update({"numberRecordsProcessed": len(self.outcomes) if done else 0,
                         "numberRecordsFailed": failed, "retries": 0,
                         "totalProcessingTime": 12 if done else 0, "apiActiveProcessingTime": 8 if done else 0,
                         "apexProcessingTime": 0})
            if self.error_message:
                body["errorMessage"] = self.error_message
        return body


class BulkIngestMixin:
    """Bulk API 2.0 handlers; mixed into SalesforceDouble, which provides `ingest_jobs` (a
    dict), `bulk_polls`, and its store, objects, clock, `_object()` and `_apply()`."""

    ingest_jobs: dict[str, BulkJob]
    bulk_polls: int

    @staticmethod
    def bulk_rules(data: str) -> list[Rule]:
        jobs = f"{data}/jobs/ingest"
        return [
            Rule(jobs, endpoint="bulk_jobs", methods=["GET", "POST"]),
            Rule(f"{jobs}/<job_id>", endpoint="bulk_job", methods=["GET", "PATCH", "DELETE"]),
            Rule(f"{jobs}/<job_id>/batches", endpoint="bulk_upload", methods=["PUT"]),
            Rule(f"{jobs}/<job_id>/<results>", endpoint="bulk_results", methods=["GET"]),
        ]

    # --- handlers -----------------------------------------------------------------------

    def bulk_jobs(self, request, version):
        jobs = self.ingest_jobs
        if request.method == "GET":
            return json_response({"done": True, "records": [j.info() for j in jobs.values()], "nextRecordsUrl": None})
        body = json_body(request)
        if not isinstance(body, dict):
            return bulk_error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        obj = self._object(str(body.get("object") or ""))
        if obj is None:
            return bulk_error(400, "INVALIDENTITY", f"Entity '{body.get('object')}' is not supported by the Bulk API.")
        operation = body.get("operation")
        if operation not in ("insert", "update", "upsert", "delete", "hardDelete"):
            return bulk_error(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        if operation not in SUPPORTED:
            return bulk_error(400, "INVALIDJOB", f"InvalidJob : the Salesforce double does not run {operation} jobs")
        external = body.get("externalIdFieldName")
        if operation == "upsert":
            if not external:
                return bulk_error(400, "INVALIDJOB", "InvalidJob : External ID was blank for upsert")
            if obj.field(external) is None or obj.field(external).name != "Id":
                return bulk_error(400, "INVALIDJOB", (f"InvalidJob : Field name provided, {external} is not an "
                                                      f"External ID or indexed field for {obj.name}"))
        line_ending = body.get("lineEnding", "LF")
        delimiter = body.get("columnDelimiter", "COMMA")
        if body.get("contentType", "CSV") != "CSV" or line_ending not in LINE_ENDINGS or delimiter not in DELIMITERS:
            return bulk_error(400, "INVALIDJOB", "InvalidJob : contentType must be CSV, lineEnding LF or CRLF, "
                                                 f"columnDelimiter one of {', '.join(DELIMITERS)}")
        job_id = to18(f"750{POD}{len(jobs) + 1:09d}")
        jobs[job_id] = BulkJob(id=job_id, object=obj.name, operation=operation, external_id=external,
                               line_ending=line_ending, delimiter=delimiter, api_version=version,
                               created_by=next(iter(self.store["User"]), ""), created=self.clock.now())
        return json_response(jobs[job_id].info())

    def bulk_job(self, request, version, job_id):
        job = self.ingest_jobs.get(normalize_id(job_id) or "")
        if job is None:
            return bulk_error(404, "NOT_FOUND", "The requested resource does not exist")
        if request.method == "GET":
            if job.final_state and job.state not in TERMINAL:
                if job.polls_left > 0:
                    job.polls_left -= 1
                    job.state = "InProgress"
                else:
                    job.state = job.final_state
            return json_response(job.info(detailed=True))
        if request.method == "DELETE":
            if job.state not in TERMINAL:
                return bulk_error(400, "INVALIDJOBSTATE", "Job must be completed, failed or aborted to be deleted")
            del self.ingest_jobs[job.id]
            return Response(status=204)
        wanted = (json_body(request) or {}).get("state")
        if wanted == "UploadComplete":
            if job.state != "Open":
                return bulk_error(400, "INVALIDJOBSTATE", f"Job {job.id} is not open, it is {job.state}")
            self._run_job(job, request)
        elif wanted == "Aborted":
            if job.state in TERMINAL:
                return bulk_error(400, "INVALIDJOBSTATE", f"Job {job.id} is already {job.state}")
            job.state, job.final_state = "Aborted", None
        else:
            return bulk_error(400, "INVALIDJOBSTATE", f"Invalid state: {wanted}")
        job.modified = self.clock.now()
        return json_response(job.info())

    def bulk_upload(self, request, version, job_id):
        job = self.ingest_jobs.get(normalize_id(job_id) or "")
        if job is None:
            return bulk_error(404, "NOT_FOUND", "The requested resource does not exist")
        if request.mimetype != "text/csv":
            return bulk_error(400, "INVALIDCONTENTTYPE", "Content-Type must be text/csv")
        if job.state != "Open":
            return bulk_error(400, "INVALIDJOBSTATE", f"Job {job.id} is not open, it is {job.state}")
        if job.data is not None:
            return bulk_error(400, "INVALIDJOBSTATE", (
                f"Found multiple contents for job: <{job.id}>, please 'Close' / 'Abort' / 'Delete' the current "
                "Job then create a new Job and make sure you only do 'PUT' once on a given Job."))
        job.data = request.get_data(as_text=True)
        return Response(status=201)

    def bulk_results(self, request, version, job_id, results):
        job = self.ingest_jobs.get(normalize_id(job_id) or "")
        kind = RESULT_KINDS.get(results.lower())
        if job is None or kind is None:
            return bulk_error(404, "NOT_FOUND", "The requested resource does not exist")
        if job.state not in TERMINAL:
            return bulk_error(400, "INVALIDJOBSTATE", f"Job {job.id} is not complete, it is {job.state}")
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        if kind == "unprocessedrecords":
            writer.writerow(job.header)
            writer.writerows([[r.get(c, "") for c in job.header] for r in job.unprocessed])
        elif kind == "successfulResults":
            writer.writerow(["sf__Id", "sf__Created", *job.header])
            writer.writerows([[sf_id, "false", *(row.get(c, "") for c in job.header)]
                              for row, sf_id, err in job.outcomes if not err])
        else:
            writer.writerow(["sf__Id", "sf__Error", *job.header])
            writer.writerows([[sf_id, err, *(row.get(c, "") for c in job.header)]
                              for row, sf_id, err in job.outcomes if err])
        return Response(out.getvalue(), status=200, content_type="text/csv; charset=UTF-8")

    # --- processing ---------------------------------------------------------------------

    def _run_job(self, job: BulkJob, request) -> None:
        job.state, job.polls_left = "UploadComplete", self.bulk_polls
        try:
            rows = self._parse_job_data(job)
        except RequestError as exc:
            job.final_state, job.error_message = "Failed", exc.message
            return
        failing = failing_records(request_faults(request), len(rows))
        obj = self._object(job.object)
        for position, row in enumerate(rows):
            given = next((v for k, v in row.items() if k.lower() == "id"), "")
            sf_id = normalize_id(given) or ""
            fault = failing.get(position)
            if fault is not None:
                job.outcomes.append((row, sf_id, save_error_text(fault_save_error(fault, sf_id))))
                continue
            err = self._apply_row(job, obj, row, given)
            job.outcomes.append((row, sf_id, err))
        job.final_state = "JobComplete"

    def _parse_job_data(self, job: BulkJob) -> list[dict]:
        if not job.data:
            raise RequestError("InvalidBatch", "InvalidBatch : No data was uploaded for this job")
        crlf = "\r\n" in job.data
        if crlf != (job.line_ending == "CRLF"):
            raise RequestError("ClientInputError", (
                "ClientInputError : LineEnding is invalid on user data. "
                f"Current LineEnding setting is {job.line_ending}"))
        reader = csv.reader(io.StringIO(job.data, newline=""), delimiter=DELIMITERS[job.delimiter])
        lines = [line for line in reader if line]
        if not lines:
            raise RequestError("InvalidBatch", "InvalidBatch : No data was uploaded for this job")
        job.header = lines[0]
        obj = self._object(job.object)
        if len({c.lower() for c in job.header}) != len(job.header):
            raise RequestError("InvalidBatch", "InvalidBatch : Duplicate field name")
        unknown = [c for c in job.header if obj.field(c) is None]
        if unknown:
            raise RequestError("InvalidBatch", f"InvalidBatch : Field name not found : {unknown[0]}")
        if job.operation == "delete" and [c.lower() for c in job.header] != ["id"]:
            raise RequestError("InvalidBatch", "InvalidBatch : The 'delete' batch must contain only 'Id'")
        return [dict(zip(job.header, line + [""] * (len(job.header) - len(line)), strict=False)) for line in lines[1:]]

    def _apply_row(self, job: BulkJob, obj, row: dict, given: str) -> str | None:
        """Apply one CSV row; the sf__Error text when it fails."""
        if job.operation == "delete":
            rid = normalize_id(given)
            current = self.store[obj.name].get(rid) if rid else None
            if current is None:
                return save_error_text(error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))
            if current.get("IsDeleted"):
                return save_error_text(error("ENTITY_IS_DELETED", "entity is deleted"))
            self._apply(obj.name, rid, {"IsDeleted": True})
            return None
        values = {}
        for column, value in row.items():
            f = obj.field(column)
            if f.name == "Id" or value == "":  # an empty cell leaves the field as it is
                continue
            value = None if value == "#N/A" else value
            try:
                coerce(f, value)
            except RequestError:
                soap = describe_field(f)["soapType"]
                return save_error_text(error("INVALID_FIELD", (
                    f"Failed to deserialize field at col {job.header.index(column) + 1}. "
                    f"Due to, '{value}' is not a valid value for the type {soap}"), [f.name]))
            values[f.name] = value
        rid, changes, errors = check_update(self.objects, self.store, obj, {**values, "Id": given})
        if errors:
            return save_error_text(errors[0])
        self._apply(obj.name, rid, changes)
        return None


def fault_save_error(fault, record_id: str) -> dict:
    """The SaveResult error of a record-level fault (lock or injected failure)."""
    if fault.kind == "lock":
        return error(fault.code or "UNABLE_TO_LOCK_ROW", fault.message or (
            f"unable to obtain exclusive access to this record or 1 records: {record_id}"))
    return error(fault.code or "FIELD_CUSTOM_VALIDATION_EXCEPTION", fault.message or "The record failed validation")
