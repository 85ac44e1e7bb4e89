"""in-toto Statement v1 for a synthetic dataset version.

Subjects are the dataset's files with their SHA-256; the predicate records what the compliance
lead asks: generator, source, purpose, owner, classification, tags, parent version, manifest root.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import SignatureError
from ..models import FileDigest

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://synthguard.dev/attestation/synthetic-dataset/v1"


def statement(files: tuple[FileDigest, ...], predicate: dict[str, Any]) -> dict[str, Any]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f.path, "digest": {"sha256": f.sha256}} for f in files],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def encode(stmt: dict[str, Any]) -> bytes:
    """Canonical bytes (sorted keys, no whitespace) so the same statement always signs the same."""
    return json.dumps(stmt, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(payload: bytes) -> dict[str, Any]:
    try:
        stmt = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureError(f"attestation payload is not JSON: {exc}") from exc
    if not isinstance(stmt, dict) or stmt.get("_type") != STATEMENT_TYPE:
        raise SignatureError("attestation payload is not an in-toto Statement v1")
    if stmt.get("predicateType") != PREDICATE_TYPE:
        raise SignatureError(f"unexpected predicate type {stmt.get('predicateType')!r}")
    return stmt
