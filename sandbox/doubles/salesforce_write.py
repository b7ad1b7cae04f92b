"""Validation of record updates, with the status codes Salesforce returns.

Two kinds of failure, as in the real API: a value JSON cannot turn into the field's type
fails the whole request (400 JSON_PARSER_ERROR); everything else fails only its record
(SaveResult errors: MALFORMED_ID, INVALID_CROSS_REFERENCE_KEY, ENTITY_IS_DELETED,
INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
STRING_TOO_LONG, REQUIRED_FIELD_MISSING).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sandbox.doubles.salesforce_schema import Field, SObject, normalize_id, sf_datetime


class RequestError(Exception):
    """Fails the whole request with 400 [{message, errorCode}]."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def error(code: str, message: str, fields: list[str] | None = None) -> dict:
    return {"statusCode": code, "message": message, "fields": fields or []}


def _parse_failure(f: Field, value: object) -> RequestError:
    kind = type(value).__name__.upper()
    target = {"int": "int", "double": "double", "currency": "double", "date": "date",
              "datetime": "datetime", "boolean": "boolean"}.get(f.type, "String")
    return RequestError("JSON_PARSER_ERROR", (
        f"Cannot deserialize instance of {target} from VALUE_{kind} value {value} "
        "or request may be missing a required field"))


def coerce(f: Field, value: object) -> object:
    """The stored JSON value for `value` written to `f`; RequestError when unparseable."""
    if value is None:
        return None
    if f.type in ("double", "currency"):
        if isinstance(value, bool):
            raise _parse_failure(f, value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _parse_failure(f, value) from None
    if f.type == "int":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _parse_failure(f, value) from None
        if isinstance(value, bool) or number != int(number):
            raise _parse_failure(f, value)
        return int(number)
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _parse_failure(f, value)
    if f.type == "date":
        if not isinstance(value, str):
            raise _parse_failure(f, value)
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise _parse_failure(f, value) from None
    if f.type == "datetime":
        if not isinstance(value, str):
            raise _parse_failure(f, value)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _parse_failure(f, value) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # Salesforce reads a zoneless value as GMT
        return sf_datetime(moment)
    if isinstance(value, (dict, list)):
        raise _parse_failure(f, value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_update(objects: dict[str, SObject], store: dict[str, dict[str, dict]],
                 obj: SObject, raw: dict) -> tuple[str | None, dict, list[dict]]:
    """(record id, changes, errors) for one record of an update; errors empty on success."""
    id_keys = [k for k in raw if k.lower() == "id"]
    given = raw.get(id_keys[0]) if id_keys else None
    if not given:
        return None, {}, [error("MISSING_ARGUMENT", "Id not specified in an update call")]
    record_id = normalize_id(given)
    if record_id is None or not record_id.startswith(obj.prefix):
        return None, {}, [error("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {given}", ["Id"])]
    current = store[obj.name].get(record_id)
    if current is None:
        return None, {}, [error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]
    if current.get("IsDeleted"):
        return None, {}, [error("ENTITY_IS_DELETED", "entity is deleted")]

    values = {k: v for k, v in raw.items() if k != "attributes" and k not in id_keys}
    unknown = [k for k in values if obj.field(k) is None]
    if unknown:
        return None, {}, [error("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {obj.name}")]
    fields = {obj.field(k): v for k, v in values.items()}
    locked = [f.name for f in fields if not f.updateable]
    if locked:
        return None, {}, [error("INVALID_FIELD_FOR_INSERT_UPDATE", (
            f"Unable to create/update fields: {', '.join(locked)}. Please check the security settings "
            "of this field and verify that it is read/write for your profile or permission set."), locked)]

    changes, errors = {}, []
    for f, raw_value in fields.items():
        value = coerce(f, raw_value)
        if value is None and not f.nillable:
            errors.append(error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]", [f.name]))
        elif f.type == "picklist" and f.restricted and value is not None and value not in f.picklist:
            errors.append(error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                f"{f.label}: bad value for restricted picklist field: {value}", [f.name]))
        elif f.length and isinstance(value, str) and f.type != "picklist" and len(value) > f.length:
            errors.append(error("STRING_TOO_LONG", (
                f"{f.label}: data value too large: {value[:40]} (max length={f.length})"), [f.name]))
        elif f.type == "reference" and value is not None:
            target = normalize_id(value)
            if target is None:
                errors.append(error("MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name]))
            elif target not in store.get(f.reference_to, {}):
                errors.append(error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name]))
            else:
                changes[f.name] = target
        else:
            changes[f.name] = value
    return record_id, ({} if errors else changes), errors
