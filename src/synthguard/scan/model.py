"""What a scan reports: severities, check metadata, findings (with a stable fingerprint) and notes.

These value types are shared by every parser, check, output writer and the baseline, and by
findings merged from other tools (``source``), so they carry no behaviour beyond ordering,
fingerprinting and a JSON shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import InputError


class Severity(StrEnum):
    """How bad a finding is; ordered, so ``--fail-on high`` means high and critical."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: str, *, field: str = "severity") -> Severity:
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise InputError(f"unknown severity {value!r} (choose one of: {choices})", field=field) from None


_RANKS = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


@dataclass(frozen=True)
class CheckInfo:
    """The documentation of one check: what it detects, why it matters and how to fix it."""

    id: str
    severity: Severity
    title: str
    #: The failure pattern the check detects, in one or two sentences.
    pattern: str
    remediation: str
    #: Regulation and framework references (GDPR Art. 32, EU AI Act Art. 10, NIST AI RMF MANAGE 2.3 …).
    references: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity.value, "title": self.title, "pattern": self.pattern,
                "remediation": self.remediation, "references": list(self.references)}


@dataclass(frozen=True)
class Finding:
    """One failed check on one resource (or one token, or one unparseable file).

    ``key`` tells findings of the same check on the same resource apart (a rule name, a token's
    parameters); with the check id, the file and the resource it makes the ``fingerprint`` that
    baselines and de-duplication use. Line numbers are left out of it on purpose: a baseline must
    survive edits above the finding.
    """

    check_id: str
    severity: Severity
    title: str
    message: str
    file: str
    line: int | None = None
    resource: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    key: str = ""
    #: The tool that reported it ("synthguard", or e.g. "checkov" for merged findings).
    source: str = "synthguard"

    @property
    def fingerprint(self) -> str:
        material = "\x1f".join((self.check_id, self.file, self.resource, self.key))
        return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()

    @classmethod
    def of(cls, info: CheckInfo, message: str, *, file: str, line: int | None = None, resource: str = "",
           key: str = "", severity: Severity | None = None) -> Finding:
        """A finding of the check ``info`` (its title, remediation and references come along)."""
        return cls(check_id=info.id, severity=severity or info.severity, title=info.title, message=message,
                   file=file, line=line, resource=resource, remediation=info.remediation,
                   references=info.references, key=key)

    def sort_key(self) -> tuple[int, str, int, str, str]:
        return (-self.severity.rank, self.file, self.line or 0, self.check_id, self.resource)

    def to_json(self) -> dict[str, Any]:
        return {"check_id": self.check_id, "severity": self.severity.value, "title": self.title,
                "message": self.message, "file": self.file, "line": self.line, "resource": self.resource,
                "remediation": self.remediation, "references": list(self.references),
                "fingerprint": self.fingerprint, "source": self.source}


@dataclass(frozen=True)
class Note:
    """Something the user should know that is not a finding: a skipped file, an expired baseline entry."""

    message: str
    file: str = ""
    kind: str = "skipped"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "message": self.message}


@dataclass(frozen=True)
class Suppressed:
    """A finding a baseline entry accepted, with that entry's reason and expiry."""

    finding: Finding
    reason: str
    expires: str

    def to_json(self) -> dict[str, Any]:
        return {**self.finding.to_json(), "suppressed": {"reason": self.reason, "expires": self.expires}}


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan produced; output writers render it, the CLI turns it into an exit code."""

    findings: tuple[Finding, ...]
    notes: tuple[Note, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    files_scanned: int = 0
    resources: int = 0
    seconds: float = 0.0
    checks: tuple[CheckInfo, ...] = field(default_factory=tuple)
    targets: tuple[str, ...] = ()

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.at_least(threshold)]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for finding in self.findings:
            out[finding.severity.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "summary": {"files": self.files_scanned, "resources": self.resources, "findings": len(self.findings),
                        "suppressed": len(self.suppressed), "by_severity": self.counts(),
                        "seconds": round(self.seconds, 3)},
            "findings": [f.to_json() for f in self.findings],
            "suppressed": [s.to_json() for s in self.suppressed],
            "notes": [n.to_json() for n in self.notes],
        }
