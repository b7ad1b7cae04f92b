"""Writes mapped fields to Salesforce with sObject Collections (PATCH, ≤ 200 records)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from simple_salesforce import Salesforce

from reverse_etl.audit import RecordOutcome, SyncRun
from reverse_etl.mapping import Destination
from reverse_etl.values import salesforce_value


def chunked(rows: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def collection_records(destination: Destination, rows: Iterable[dict]) -> list[dict]:
    return [
        {
            "attributes": {"type": destination.object},
            "id": row[destination.match_key],
            **{target: salesforce_value(row[column]) for column, target in destination.fields.items()},
        }
        for row in rows
    ]


def write(client: Salesforce, destination: Destination, rows: list[dict], run: SyncRun) -> None:
    for chunk in chunked(rows, destination.batch_size):
        body = {"allOrNone": False, "records": collection_records(destination, chunk)}
        results = client.restful("composite/sobjects", method="PATCH", json=body)
        run.api_calls += 1
        # Results come back in request order, one per record.
        for row, result in zip(chunk, results):
            errors = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in result.get("errors") or [])
            run.outcomes.append(
                RecordOutcome(row[destination.match_key], row["account_id"], bool(result.get("success")), errors or None)
            )
