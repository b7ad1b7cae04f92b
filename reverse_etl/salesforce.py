"""Writes mapped fields to Salesforce records.

- up to `bulk_threshold` changed rows: sObject Collections (`PATCH composite/sobjects`,
  `allOrNone: false`, at most 200 records a request; one SaveResult per record, in order);
- more: one Bulk API 2.0 ingest job (create, upload the CSV, `UploadComplete`, poll, then
  read `successfulResults` and `failedResults`; the results' order is not the upload's,
  so records are matched on `sf__Id`). Creating a job, uploading its data and closing it
  are not idempotent, so they are never simply sent again: after an ambiguous failure (a
  timeout, a dropped connection, a 5xx) the writer looks at the jobs first (Get All Jobs,
  Get Job Info), aborts a job it created without knowing, and closes a job only if it is
  still `Open`.

Requests go through the simple-salesforce client's own authenticated session (so both the
access-token and the username/password logins work) with the retry policy and Salesforce's rules of
`cs360_core.http`. A record counts as written only when Salesforce says so for that record.
"""

from __future__ import annotations

import csv
import io
import json

import requests
from simple_salesforce import Salesforce

from reverse_etl.mapping import Destination
from cs360_core.http import SALESFORCE, RateLimitExhausted, RetriesExhausted, RetryPolicy, TransientError, Verdict
from reverse_etl.state import Change
from reverse_etl.values import bulk_csv_value
from reverse_etl.writer import BatchRejected, RecordResult, RequestFailed, SchemaCheck

# Per-record status codes worth sending again soon; every other code is permanent.
TRANSIENT_CODES = frozenset({
    "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG", "QUERY_TIMEOUT",
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
})
BULK_DONE = ("JobComplete", "Failed", "Aborted")


def _first_error(body) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error response ([{message, errorCode}])."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode") or "ERROR"), str(body[0].get("message") or "")
    if isinstance(body, dict):
        return str(body.get("errorCode") or body.get("error") or "ERROR"), str(
            body.get("message") or body.get("error_description") or "")
    return "ERROR", ""


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None


def parse_bulk_error(text: str) -> tuple[str, str]:
    """`sf__Error` reads "CODE:message:fields --", e.g. "ENTITY_IS_DELETED:entity is deleted:--"
    or "STRING_TOO_LONG:Health Reasons: data value too large: …:CS_Health_Reasons__c --"."""
    code, _, rest = text.strip().partition(":")
    rest = rest.strip()
    if rest.endswith("--"):
        rest = rest[:-2].rstrip()
        if ":" in rest:
            rest = rest.rpartition(":")[0]
    return (code.strip() or "UNKNOWN"), rest.strip()


def _id15(record_id: str) -> str:
    return record_id[:15]


class SalesforceWriter:
    name = "salesforce"

    def __init__(self, client: Salesforce, policy: RetryPolicy | None = None,
                 bulk_poll_seconds: float = 1.0, bulk_timeout_seconds: float = 1800.0,
                 timeout_seconds: float = 120.0):
        self.sf = client
        self.policy = policy or RetryPolicy.from_config()
        self.bulk_poll_seconds = bulk_poll_seconds
        self.bulk_timeout_seconds = bulk_timeout_seconds
        self.timeout_seconds = timeout_seconds
        self.api_calls = 0
        self.write_calls = 0
        self.method = "collections"
        self.methods_used: list[str] = []

    # --- transport --------------------------------------------------------------------

    def request(self, method: str, path: str, *, json_body=None, data: str | None = None,
                content_type: str = "application/json", accept: str = "application/json",
                write: bool = False, idempotent: bool = True) -> requests.Response:
        """One REST call relative to the versioned base URL, retried when transient (only
        when `idempotent`: otherwise the `TransientError` goes to the caller, who must find
        out what happened). Returns the response for any status below 500 except 429."""
        url = self.sf.base_url + path

        def attempt() -> requests.Response:
            self.api_calls += 1
            if write:
                self.write_calls += 1
            headers = dict(self.sf.headers)
            headers["Content-Type"] = content_type
            headers["Accept"] = accept
            payload = json.dumps(json_body, allow_nan=False) if json_body is not None else data
            try:
                response = self.sf.session.request(method, url, headers=headers,
                                                   data=payload.encode() if isinstance(payload, str) else payload,
                                                   timeout=self.timeout_seconds)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TransientError(f"{type(exc).__name__}") from None
            verdict = SALESFORCE.verdict(response.status_code, response.headers,
                                         response.text if response.status_code >= 400 else "")
            if verdict is Verdict.DONE:
                return response
            code, message = _first_error(_json(response))
            if verdict is Verdict.STOP:
                raise RateLimitExhausted(f"salesforce: {code}: {message}")
            raise TransientError(f"HTTP {response.status_code} {code}: {message}",
                                 SALESFORCE.wait(response.status_code, response.headers), response.status_code)

        if not idempotent:
            return attempt()
        return self.policy.run(attempt, f"salesforce {method} {path.split('?')[0]}")

    def _fail(self, response: requests.Response, what: str) -> RequestFailed:
        code, message = _first_error(_json(response))
        return RequestFailed(f"salesforce: {what} failed with HTTP {response.status_code} {code}: {message}")

    # --- mapping validation -------------------------------------------------------------

    def check(self, destination: Destination) -> SchemaCheck:
        """`describe` the object: every mapped field must exist and be updateable."""
        result = SchemaCheck()
        response = self.request("GET", f"sobjects/{destination.object}/describe/")
        if response.status_code == 404:
            result.problems.append(f"salesforce: object {destination.object} does not exist or is not visible "
                                   "to this user")
            return result
        if response.status_code >= 300:
            raise self._fail(response, f"describe {destination.object}")
        described = {f["name"].lower(): f for f in (response.json().get("fields") or [])}
        for target in destination.targets:
            spec = described.get(target.lower())
            if spec is None:
                result.problems.append(f"salesforce: field {destination.object}.{target} does not exist")
            elif not spec.get("updateable"):
                result.problems.append(f"salesforce: field {destination.object}.{target} is not updateable "
                                       "(read-only, calculated or not writable for this user)")
            else:
                result.field_types[target] = spec.get("type")
        return result

    def prepare(self, destination: Destination, check: SchemaCheck) -> list[str]:
        return []  # Salesforce fields are metadata: created by an admin, never by the sync

    # --- sObject Collections ------------------------------------------------------------

    def write_batch(self, destination: Destination, changes: list[Change]) -> list[RecordResult]:
        if "collections" not in self.methods_used:
            self.methods_used.append("collections")
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": destination.object}, "id": c.record_id, **c.values} for c in changes]}
        response = self.request("PATCH", "composite/sobjects", json_body=body, write=True)
        if response.status_code == 400:
            code, message = _first_error(_json(response))
            raise BatchRejected(code, message)
        if response.status_code >= 300:
            raise self._fail(response, "sObject Collections update")
        results = _json(response)
        if not isinstance(results, list) or len(results) != len(changes):
            return [RecordResult(c.record_id, False, "NO_RESULT", "Salesforce returned no SaveResult for this record",
                                 transient=True) for c in changes]
        return [self._save_result(c, r) for c, r in zip(changes, results, strict=True)]

    @staticmethod
    def _save_result(change: Change, result: dict) -> RecordResult:
        if result.get("success"):
            return RecordResult(change.record_id, True)
        errors = result.get("errors") or []
        codes = [str(e.get("statusCode") or "UNKNOWN") for e in errors] or ["UNKNOWN"]
        message = "; ".join(str(e.get("message") or "") for e in errors)
        return RecordResult(change.record_id, False, codes[0], message,
                            transient=all(code in TRANSIENT_CODES for code in codes))

    # --- Bulk API 2.0 -------------------------------------------------------------------

    def bulk_update(self, destination: Destination, changes: list[Change]) -> list[RecordResult]:
        """One ingest job for all `changes`; records without a result stay unconfirmed."""
        if "bulk" not in self.methods_used:
            self.methods_used.append("bulk")
        columns = sorted({k for c in changes for k in c.values})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Id", *columns])
        for c in changes:
            writer.writerow([c.record_id, *(bulk_csv_value(c.values.get(col)) for col in columns)])

        job_id = self._create_job(destination)
        try:
            uploaded = self.request("PUT", f"jobs/ingest/{job_id}/batches/", data=buffer.getvalue(),
                                    content_type="text/csv", write=True, idempotent=False)
        except TransientError as ambiguous:  # a job takes one upload: start afresh in a later round
            self._abort(job_id)
            return self._unconfirmed(changes, f"Bulk API 2.0 upload to job {job_id} failed ({ambiguous}); "
                                              "the job was aborted")
        if uploaded.status_code >= 300:
            self._abort(job_id)
            raise self._fail(uploaded, "Bulk API 2.0 upload")
        if not self._close_job(job_id):
            return self._unconfirmed(changes, f"Bulk API 2.0 job {job_id} could not be closed; it was aborted")

        job = self._wait(job_id)
        state = job.get("state")
        confirmed: dict[str, RecordResult] = {}
        for row in self._results(job_id, "successfulResults"):
            rid = row.get("sf__Id") or row.get("Id") or ""
            confirmed[_id15(rid)] = RecordResult(rid, True)
        for row in self._results(job_id, "failedResults"):
            rid = row.get("sf__Id") or row.get("Id") or ""
            code, message = parse_bulk_error(row.get("sf__Error") or "")
            confirmed[_id15(rid)] = RecordResult(rid, False, code, message,
                                                 transient=code in TRANSIENT_CODES)
        why = (f"Bulk API 2.0 job {job_id} ended {state}: {job.get('errorMessage') or 'no result for this record'}"
               if state in BULK_DONE else f"Bulk API 2.0 job {job_id} did not finish in time (state {state})")
        results = []
        for c in changes:
            found = confirmed.get(_id15(c.record_id))
            if found is None:
                results.append(RecordResult(c.record_id, False, "NO_RESULT", why, transient=True))
            else:
                results.append(RecordResult(c.record_id, found.ok, found.code, found.message, found.transient))
        return results

    @staticmethod
    def _unconfirmed(changes: list[Change], why: str) -> list[RecordResult]:
        return [RecordResult(c.record_id, False, "NO_RESULT", why, transient=True) for c in changes]

    def _open_jobs(self, destination: Destination) -> set[str]:
        """Ids of the open update jobs on the object (Get All Jobs, every page)."""
        found, path = set(), "jobs/ingest/?jobType=V2Ingest"
        while path:
            response = self.request("GET", path)
            if response.status_code >= 300:
                raise self._fail(response, "Bulk API 2.0 list jobs")
            page = response.json()
            found |= {j["id"] for j in page.get("records") or [] if j.get("state") == "Open"
                      and j.get("object") == destination.object and j.get("operation") == "update"}
            next_url = page.get("nextRecordsUrl")  # e.g. /services/data/v62.0/jobs/ingest?queryLocator=...
            more = next_url and not page.get("done", True) and "/jobs/ingest" in next_url
            path = "jobs/ingest" + next_url.split("/jobs/ingest", 1)[1] if more else None
        return found

    def _create_job(self, destination: Destination) -> str:
        """Create the ingest job. Creation is not idempotent: after an ambiguous failure,
        the jobs that appeared meanwhile are orphans of this writer and are aborted before
        another is created."""
        before = self._open_jobs(destination)
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                created = self.request("POST", "jobs/ingest/", write=True, idempotent=False, json_body={
                    "object": destination.object, "operation": "update", "contentType": "CSV",
                    "lineEnding": "LF", "columnDelimiter": "COMMA"})
            except TransientError as ambiguous:
                if attempt == self.policy.max_attempts:
                    raise RetriesExhausted(f"salesforce: Bulk API 2.0 create job: gave up after {attempt} tries: "
                                           f"{ambiguous}") from None
                wait = ambiguous.retry_after if ambiguous.retry_after is not None else self.policy.backoff(attempt)
                self.policy.wait(min(wait, self.policy.max_delay))
                for orphan in sorted(self._open_jobs(destination) - before):
                    self._abort(orphan)
                continue
            if created.status_code >= 300:
                raise self._fail(created, "Bulk API 2.0 create job")
            return created.json()["id"]
        raise AssertionError("unreachable")

    def _close_job(self, job_id: str) -> bool:
        """`UploadComplete`, sent again only while the job is still `Open`; False (and the
        job aborted) when it cannot be closed."""
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                closed = self.request("PATCH", f"jobs/ingest/{job_id}/", json_body={"state": "UploadComplete"},
                                      write=True, idempotent=False)
            except TransientError as ambiguous:
                wait = ambiguous.retry_after if ambiguous.retry_after is not None else self.policy.backoff(attempt)
                self.policy.wait(min(wait, self.policy.max_delay))
                state = self._job_state(job_id)
                if state in ("UploadComplete", "InProgress", *BULK_DONE):
                    return state != "Aborted"  # the close went through before the answer was lost
                continue
            if closed.status_code < 300:
                return True
            state = self._job_state(job_id)
            if state in ("UploadComplete", "InProgress", "JobComplete", "Failed"):
                return True  # closed already (by an earlier, unanswered request)
            self._abort(job_id)
            raise self._fail(closed, "Bulk API 2.0 upload complete")
        self._abort(job_id)
        return False

    def _job_state(self, job_id: str) -> str | None:
        response = self.request("GET", f"jobs/ingest/{job_id}/")
        return response.json().get("state") if response.status_code < 300 else None

    def _wait(self, job_id: str) -> dict:
        waited, interval = 0.0, self.bulk_poll_seconds
        while True:
            response = self.request("GET", f"jobs/ingest/{job_id}/")
            if response.status_code >= 300:
                raise self._fail(response, "Bulk API 2.0 job status")
            job = response.json()
            if job.get("state") in BULK_DONE:
                return job
            if waited >= self.bulk_timeout_seconds:
                self._abort(job_id)
                return job
            self.policy.wait(interval)
            waited += interval
            interval = min(interval * 1.5, 10.0)

    def _abort(self, job_id: str) -> None:
        try:
            self.request("PATCH", f"jobs/ingest/{job_id}/", json_body={"state": "Aborted"})
        except Exception:  # best effort: the records stay unconfirmed either way
            pass

    def _results(self, job_id: str, kind: str) -> list[dict]:
        response = self.request("GET", f"jobs/ingest/{job_id}/{kind}/", accept="text/csv")
        if response.status_code >= 300:
            raise self._fail(response, f"Bulk API 2.0 {kind}")
        text = response.content.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text))) if text.strip() else []
