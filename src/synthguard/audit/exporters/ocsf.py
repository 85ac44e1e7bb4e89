"""OCSF export of the audit log: each event as an OCSF 1.8.0 *API Activity* (class 6003).

API Activity (category 6, Application Activity) fits because every audit event is one operation a
user performed through SynthGuard's API or CLI on one object. The action's verb picks the OCSF
activity (create / read / update / delete / other), the outcome picks status and severity, and the
free-form details travel in ``unmapped``.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from ...models import AuditEvent
from .interface import PRODUCT, VENDOR, Exporter, Severity, epoch_ms, product_version, severity_of

OCSF_VERSION = "1.8.0"
CLASS_UID = 6003
CLASS_NAME = "API Activity"
CATEGORY_UID = 6
CATEGORY_NAME = "Application Activity"
LOG_NAME = "synthguard-audit"

ACTIVITY_UNKNOWN, ACTIVITY_CREATE, ACTIVITY_READ, ACTIVITY_UPDATE, ACTIVITY_DELETE = 0, 1, 2, 3, 4
ACTIVITY_OTHER = 99
_ACTIVITY_NAMES = {ACTIVITY_UNKNOWN: "Unknown", ACTIVITY_CREATE: "Create", ACTIVITY_READ: "Read",
                   ACTIVITY_UPDATE: "Update", ACTIVITY_DELETE: "Delete"}

# Verbs SynthGuard actions use (``dataset.register``, ``key.revoke`` ...), by OCSF activity.
_VERBS = {
    ACTIVITY_CREATE: {"create", "register", "add", "init", "new", "import", "sign", "issue", "generate",
                      "append", "upload", "put", "post"},
    ACTIVITY_READ: {"read", "get", "list", "show", "view", "verify", "check", "export", "download",
                    "inspect", "search", "query", "diff", "trace", "prove", "fetch"},
    ACTIVITY_UPDATE: {"update", "modify", "edit", "set", "tag", "untag", "rename", "promote",
                      "approve", "reject", "release", "archive", "restore", "rotate", "grant", "patch",
                      "move"},
    ACTIVITY_DELETE: {"delete", "remove", "rm", "revoke", "purge", "drop", "destroy", "expire"},
}
_ACTIVITY_OF_VERB = {verb: activity for activity, verbs in _VERBS.items() for verb in verbs}

STATUS_UNKNOWN, STATUS_SUCCESS, STATUS_FAILURE, STATUS_OTHER = 0, 1, 2, 99
_STATUS_OF_OUTCOME = {"success": STATUS_SUCCESS, "failure": STATUS_FAILURE, "denied": STATUS_FAILURE}
_STATUS_NAMES = {STATUS_SUCCESS: "Success", STATUS_FAILURE: "Failure"}

_SEVERITY_NAMES = {Severity.INFORMATIONAL: "Informational", Severity.LOW: "Low",
                   Severity.MEDIUM: "Medium", Severity.HIGH: "High"}


def activity_id(action: str) -> int:
    """The OCSF activity of an action, from its last recognised verb (``dataset.register`` → Create)."""
    for word in reversed(re.split(r"[^a-z0-9]+", action.lower())):
        if word in _ACTIVITY_OF_VERB:
            return _ACTIVITY_OF_VERB[word]
    return ACTIVITY_OTHER


def to_ocsf(event: AuditEvent, *, synthguard_version: str | None = None) -> dict[str, Any]:
    """The OCSF API Activity object for one audit event."""
    activity = activity_id(event.action)
    severity = severity_of(event.outcome)
    # OCSF asks for the source-specific label when the activity is Other (99).
    activity_name = _ACTIVITY_NAMES.get(activity, event.action)
    document: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "activity_id": activity,
        "activity_name": activity_name,
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"{CLASS_NAME}: {activity_name}",
        "time": epoch_ms(event.time),
        "severity_id": int(severity),
        "severity": _SEVERITY_NAMES[severity],
        **_status(event.outcome),
        "message": f"{event.actor} {event.action} {event.object}: {event.outcome}",
        "actor": {"user": {"name": event.actor}},
        "api": {"operation": event.action, "service": {"name": PRODUCT}},
        # OCSF requires a source endpoint; audit events carry no network origin, only that the
        # call came through SynthGuard, so the endpoint is named by service.
        "src_endpoint": {"svc_name": PRODUCT},
        "metadata": _metadata(event, synthguard_version or product_version()),
    }
    if event.object:
        document["resources"] = [{"uid": event.object}]
    if event.details:
        # A JSON round trip keeps the export serialisable whatever the caller put in details.
        document["unmapped"] = json.loads(json.dumps(event.details, default=str))
    return document


def _status(outcome: str) -> dict[str, Any]:
    status_id = _STATUS_OF_OUTCOME.get(outcome.lower(), STATUS_OTHER)
    status: dict[str, Any] = {"status_id": status_id, "status": _STATUS_NAMES.get(status_id, outcome)}
    if outcome.lower() == "denied":
        status["status_detail"] = outcome  # Failure alone would hide that policy refused it
    return status


def _metadata(event: AuditEvent, version: str) -> dict[str, Any]:
    return {
        "version": OCSF_VERSION,
        "product": {"name": PRODUCT, "vendor_name": VENDOR, "version": version},
        # The digest identifies the entry across exports; early entries without one fall back to seq.
        "uid": event.digest or str(event.seq),
        "sequence": event.seq,
        "log_name": LOG_NAME,
        "tenant_uid": event.tenant,
    }


class OcsfExporter(Exporter):
    """One OCSF API Activity JSON object per line."""

    name: ClassVar[str] = "ocsf"
    media_type: ClassVar[str] = "application/x-ndjson"

    def __init__(self, version: str | None = None) -> None:
        self.version = version or product_version()

    def render_event(self, event: AuditEvent) -> str:
        document = to_ocsf(event, synthguard_version=self.version)
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
