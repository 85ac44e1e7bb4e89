"""ArcSight Common Event Format (CEF:0) export of the audit log, for syslog-fed SIEMs.

Escaping follows the ArcSight "Implementing ArcSight CEF" guide: in the seven header fields ``\\``
and ``|`` are escaped with a backslash; in extension values ``\\`` and ``=`` are escaped and line
breaks become the two-character sequences ``\\n`` / ``\\r``. The guide allows line breaks only in
extension values, so in header fields they become spaces.
"""

from __future__ import annotations

import json
from typing import ClassVar

from ...models import AuditEvent
from .interface import PRODUCT, VENDOR, Exporter, Severity, epoch_ms, product_version, severity_of

# CEF severity runs 0-10 (0-3 low, 4-6 medium, 7-8 high, 9-10 very high).
_CEF_SEVERITY = {
    Severity.INFORMATIONAL: 1,
    Severity.LOW: 3,
    Severity.MEDIUM: 5,
    Severity.HIGH: 7,
}


def escape_header(value: str) -> str:
    """Escape one CEF header field."""
    escaped = value.replace("\\", "\\\\").replace("|", "\\|")
    return escaped.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def escape_extension(value: str) -> str:
    """Escape one CEF extension value."""
    escaped = value.replace("\\", "\\\\").replace("=", "\\=")
    return escaped.replace("\r", "\\r").replace("\n", "\\n")


def cef_severity(outcome: str) -> int:
    return _CEF_SEVERITY[severity_of(outcome)]


class CefExporter(Exporter):
    """``CEF:0|SynthGuard|SynthGuard|<version>|<action>|<action>|<severity>|<extension>``."""

    name: ClassVar[str] = "cef"
    media_type: ClassVar[str] = "text/plain; charset=utf-8"

    def __init__(self, version: str | None = None) -> None:
        self.version = version or product_version()

    def render_event(self, event: AuditEvent) -> str:
        header = [
            "CEF:0", VENDOR, PRODUCT, self.version,
            event.action,  # Device Event Class ID: the signature a SIEM rule keys on
            event.action,  # Name
            str(cef_severity(event.outcome)),
        ]
        extension = " ".join(f"{key}={escape_extension(value)}" for key, value in _extension(event))
        return "|".join(escape_header(field) for field in header) + "|" + extension


def _extension(event: AuditEvent) -> list[tuple[str, str]]:
    pairs = [
        ("rt", str(epoch_ms(event.time))),
        ("suser", event.actor),
        ("act", event.action),
        ("outcome", event.outcome),
        ("cs1Label", "object"), ("cs1", event.object),
        ("cn1Label", "seq"), ("cn1", str(event.seq)),
        ("externalId", str(event.seq)),
        ("cs3Label", "tenant"), ("cs3", event.tenant),
    ]
    if event.digest:
        pairs += [("cs2Label", "digest"), ("cs2", event.digest)]
    if event.details:
        details = json.dumps(event.details, sort_keys=True, separators=(",", ":"), default=str)
        pairs += [("cs4Label", "details"), ("cs4", details)]
    return pairs
