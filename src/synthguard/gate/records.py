"""Webhook bodies as tables: a CRM upsert carries one record, a list of records, or an object
with a ``records`` (Salesforce composite style) or ``data`` list."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from ..errors import InputError

MAX_BODY_BYTES = 10 << 20


def records_of(body: bytes) -> list[dict[str, Any]]:
    if len(body) > MAX_BODY_BYTES:
        raise InputError(f"request body over {MAX_BODY_BYTES >> 20} MiB")
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"request body is not JSON: {exc}") from exc
    if isinstance(document, dict):
        for key in ("records", "data"):
            if isinstance(document.get(key), list):
                document = document[key]
                break
        else:
            document = [document]
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise InputError("expected a JSON object, a list of objects, or {\"records\": [...]}")
    return document


def table_of(records: list[dict[str, Any]]) -> pa.Table:
    """Records as a table; nested values (CRM ``attributes`` blocks) are kept as JSON text."""
    flat = [{k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for k, v in r.items()}
            for r in records]
    try:
        return pa.Table.from_pylist(flat)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"records do not form a table: {exc}") from exc
