"""The audit entry: one event's canonical bytes (what the Merkle leaf hashes) and its row mapping."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..models import AuditEvent
from ..store.tables import AuditEntryRow

OUTCOMES = ("success", "failure", "denied")


@dataclass(frozen=True)
class Draft:
    """An event before the log gives it a sequence number and a time."""

    actor: str
    action: str
    object: str
    outcome: str = "success"
    digest: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    tenant: str = "default"


def utc(moment: datetime) -> datetime:
    """Timestamps read back from SQLite are naive; they were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def canonical_bytes(event: AuditEvent) -> bytes:
    """Sorted-key compact JSON, time as RFC 3339 UTC with microseconds: what the leaf commits to."""
    document = {
        "seq": event.seq,
        "time": utc(event.time).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": event.actor,
        "tenant": event.tenant,
        "action": event.action,
        "object": event.object,
        "outcome": event.outcome,
        "digest": event.digest,
        "details": event.details,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_of(draft: Draft, seq: int, time: datetime) -> AuditEvent:
    # A JSON round trip now makes the details exactly what the store will hand back later.
    details = json.loads(json.dumps(draft.details, sort_keys=True, default=str))
    return AuditEvent(seq=seq, time=time, actor=draft.actor, tenant=draft.tenant, action=draft.action,
                      object=draft.object, outcome=draft.outcome, digest=draft.digest, details=details)


def event_from_row(row: AuditEntryRow) -> AuditEvent:
    return AuditEvent(seq=row.seq, time=utc(row.time), actor=row.actor, tenant=row.tenant,
                      action=row.action, object=row.object, outcome=row.outcome, digest=row.digest,
                      details=dict(row.details))
