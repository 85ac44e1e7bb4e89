"""SARIF 2.1.0 output (OASIS standard, errata 01): one run, every check as a rule, one result per finding.

Results carry ``partialFingerprints["synthguard/v1"]`` (the baseline fingerprint) so code-scanning
services track them across commits; baseline-accepted findings are emitted with an ``external``
suppression holding the reason; skipped files and expired baseline entries become tool execution
notifications. Rules carry ``security-severity`` for GitHub's severity mapping. Hand-assembled dicts:
the only PyPI object model (``sarif-om``) is unmaintained since 2019 and adds nothing over them; the
tests validate the output against the official schema.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from ..model import CheckInfo, Finding, ScanResult, Severity
from .interface import OutputWriter, tool_version

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "synthguard/v1"
_LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
           Severity.INFO: "note"}
#: GitHub code scanning reads properties["security-severity"] (0.0–10.0, CVSS-like bands).
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
                      Severity.INFO: "0.0"}


def artifact_uri(file: str) -> dict[str, str]:
    """A relative path under %SRCROOT%, an absolute file URI, or a URL as is (live-storage findings)."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", file):
        return {"uri": file}
    if file.startswith("/"):
        return {"uri": "file://" + quote(file)}
    return {"uri": quote(file), "uriBaseId": "%SRCROOT%"}


def rule_name(title: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z0-9]+", title))


def rule(info: CheckInfo) -> dict[str, Any]:
    return {
        "id": info.id, "name": rule_name(info.title),
        "shortDescription": {"text": info.title}, "fullDescription": {"text": info.pattern},
        "help": {"text": f"{info.remediation}\nReferences: {'; '.join(info.references)}",
                 "markdown": f"**Fix:** {info.remediation}\n\n**References:** " + "; ".join(info.references)},
        "defaultConfiguration": {"level": _LEVELS[info.severity]},
        "properties": {"tags": ["security", "synthetic-data", *info.references],
                       "security-severity": _SECURITY_SEVERITY[info.severity], "precision": "high",
                       "severity": info.severity.value},
    }


class SarifWriter(OutputWriter):
    name: ClassVar[str] = "sarif"
    media_type: ClassVar[str] = "application/sarif+json"

    def render(self, result: ScanResult) -> str:
        return json.dumps(self.document(result), indent=2) + "\n"

    def document(self, result: ScanResult) -> dict[str, Any]:
        infos = list(result.checks)
        known = {i.id for i in infos}
        # Findings merged from other tools bring their own rule ids.
        for finding in [*result.findings, *(s.finding for s in result.suppressed)]:
            if finding.check_id not in known:
                known.add(finding.check_id)
                infos.append(CheckInfo(finding.check_id, finding.severity, finding.title, finding.title,
                                       finding.remediation or "See the reporting tool's documentation.",
                                       finding.references))
        index = {info.id: i for i, info in enumerate(infos)}
        results = [self._result(f, index) for f in result.findings]
        for s in result.suppressed:
            entry = self._result(s.finding, index)
            entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                      "justification": f"{s.reason} (until {s.expires})"}]
            results.append(entry)
        notifications = []
        for note in result.notes:
            item: dict[str, Any] = {"level": "error" if note.kind == "error" else "note",
                                    "message": {"text": note.message}, "descriptor": {"id": note.kind}}
            if note.file:
                item["locations"] = [{"physicalLocation": {"artifactLocation": artifact_uri(note.file)}}]
            notifications.append(item)
        invocation: dict[str, Any] = {"executionSuccessful": True}
        if notifications:
            invocation["toolExecutionNotifications"] = notifications
        return {
            "$schema": SCHEMA_URI, "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "SynthGuard", "version": tool_version(),
                                    "semanticVersion": tool_version(), "rules": [rule(i) for i in infos]}},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "invocations": [invocation],
                "results": results,
            }],
        }

    @staticmethod
    def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact_uri(finding.file)}}
        if finding.line:
            location["physicalLocation"]["region"] = {"startLine": finding.line}
        if finding.resource:
            location["logicalLocations"] = [{"name": finding.resource, "kind": "resource"}]
        return {
            "ruleId": finding.check_id, "ruleIndex": index[finding.check_id], "level": _LEVELS[finding.severity],
            "message": {"text": finding.message}, "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
            "properties": {"severity": finding.severity.value, "resource": finding.resource,
                           "references": list(finding.references), "source": finding.source},
        }
