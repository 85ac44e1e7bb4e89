"""JSON Lines export of the audit log: each line is exactly the entry's canonical JSON.

Using the canonical form (what the Merkle leaf hashes) rather than a SIEM-specific shape lets a
recipient recompute every leaf hash from the export and check it against a signed checkpoint.
"""

from __future__ import annotations

from typing import ClassVar

from ...models import AuditEvent
from ..entry import canonical_bytes
from .interface import Exporter


class JsonlExporter(Exporter):
    """One canonical JSON object per line (sorted keys, compact, RFC 3339 UTC time)."""

    name: ClassVar[str] = "jsonl"
    media_type: ClassVar[str] = "application/x-ndjson"

    def render_event(self, event: AuditEvent) -> str:
        # JSON escapes control characters inside strings, so the text is always one line.
        return canonical_bytes(event).decode("utf-8")
