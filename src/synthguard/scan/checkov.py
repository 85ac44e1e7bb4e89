"""Interop with Checkov: run it as a subprocess (``checkov -d PATH -o json --quiet``) when it is
installed, turn its failed checks into ``Finding``s (``source="checkov"``), and drop the ones that
repeat one of ours on the same resource, using a table of equivalent rule ids.

Checkov stays an optional external tool (its dependency pins clash with ours), so it is found on
PATH or given as a binary path, never imported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .model import Finding, Note, Severity

#: Checkov rule id -> the SynthGuard check that reports the same misconfiguration.
EQUIVALENT: dict[str, str] = {
    "CKV_AZURE_190": "SG-STO-001",  # Storage blobs restrict public access (allow_nested_items_to_be_public)
    "CKV2_AZURE_47": "SG-STO-001",  # storage account configured without blob anonymous access
    "CKV_AZURE_34": "SG-STO-002",  # container public access level private
    "CKV_AZURE_44": "SG-STO-003",  # minimum TLS version
    "CKV_AZURE_3": "SG-STO-004",  # HTTPS traffic only
    "CKV2_AZURE_1": "SG-STO-006",  # customer-managed key
    "CKV2_AZURE_41": "SG-SAS-001",  # SAS expiration policy
    "CKV_AZURE_110": "SG-KV-001",  # purge protection
    "CKV_AZURE_42": "SG-KV-002",  # key vault recoverable (soft delete)
    "CKV_AZURE_109": "SG-KV-003",  # firewall rules / default action
    "CKV_AZURE_14": "SG-TLS-001",  # App Service HTTPS only
    "CKV_AZURE_144": "SG-ML-001",  # ML workspace public network access
    "CKV_K8S_20": "SG-K8S-001",  # allowPrivilegeEscalation
    "CKV_K8S_22": "SG-K8S-001",  # readOnlyRootFilesystem
    "CKV_K8S_23": "SG-K8S-001",  # root containers (runAsNonRoot)
}

_SEVERITIES = {"CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM,
               "LOW": Severity.LOW, "INFO": Severity.INFO}
#: Offline, Checkov reports no severities; its findings then count as medium.
DEFAULT_SEVERITY = Severity.MEDIUM
_ARM_RESOURCE = re.compile(r"^(?P<type>.*?/[A-Za-z]+)\.(?P<name>.+)$")


@dataclass(frozen=True)
class CheckovRun:
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]
    version: str = ""


def find_checkov(binary: str | None = None) -> str | None:
    """The checkov executable: ``binary``, $SYNTHGUARD_CHECKOV, or ``checkov`` on PATH."""
    candidate = binary or os.environ.get("SYNTHGUARD_CHECKOV") or "checkov"
    return shutil.which(candidate)


def run_checkov(paths: Sequence[str | Path], *, binary: str | None = None, timeout: float = 1800.0) -> CheckovRun:
    """Run Checkov over every path and collect its failed checks as findings."""
    exe = find_checkov(binary)
    if exe is None:
        raise InputError("checkov is not installed (pip install checkov, or set SYNTHGUARD_CHECKOV)",
                         field="with-checkov")
    # Offline and quiet: no platform mapping download, no version check, no telemetry.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_SKIP_VERSION_CHECK": "TRUE",
           "ENABLE_DEFINITION_KEY": "FALSE", "LOG_LEVEL": "ERROR"}
    findings: list[Finding] = []
    notes: list[Note] = []
    version = ""
    for given in paths:
        root = Path(given)
        args = [exe, "-d" if root.is_dir() else "-f", str(root), "-o", "json", "--quiet", "--skip-download",
                "--framework", "arm", "bicep", "terraform", "terraform_plan", "kubernetes"]
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        if proc.returncode not in (0, 1) or not proc.stdout.strip():
            notes.append(Note(f"checkov failed (exit {proc.returncode}): {_last_line(proc.stderr)}", str(root),
                              kind="error"))
            continue
        try:
            reports = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            notes.append(Note(f"checkov wrote no JSON: {exc.msg}", str(root), kind="error"))
            continue
        for report in reports if isinstance(reports, list) else [reports]:
            version = str(report.get("summary", {}).get("checkov_version", version))
            for failed in report.get("results", {}).get("failed_checks", []):
                findings.append(to_finding(failed, root))
    return CheckovRun(tuple(findings), tuple(notes), version)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def to_finding(failed: dict[str, Any], root: Path) -> Finding:
    """One entry of Checkov's ``failed_checks`` as a Finding; its file relative to where ours are."""
    from .runner import _display  # the same file naming as our findings, so they line up

    file_path = str(failed.get("file_abs_path") or failed.get("file_path") or "")
    path = Path(file_path) if Path(file_path).is_absolute() and Path(file_path).exists() else (
        root / file_path.lstrip("/") if root.is_dir() else root)
    lines = failed.get("file_line_range") or [None]
    severity = _SEVERITIES.get(str(failed.get("severity") or "").upper(), DEFAULT_SEVERITY)
    rule = str(failed.get("check_id", "CKV_UNKNOWN"))
    return Finding(check_id=rule, severity=severity, title=str(failed.get("check_name", rule)),
                   message=f"{failed.get('resource', '')}: {failed.get('check_name', rule)}", file=_display(path),
                   line=lines[0] if isinstance(lines[0], int) and lines[0] > 0 else None,
                   resource=str(failed.get("resource", "")), remediation=str(failed.get("guideline") or ""),
                   source="checkov")


def _resource_name(resource: str) -> str:
    """Checkov names ARM resources ``<type>.<name>``, Terraform ones ``<type>.<label>`` like we do."""
    if re.match(r"^[a-z0-9]+_[a-z0-9_]+\.", resource):
        return resource
    match = _ARM_RESOURCE.match(resource)
    return match.group("name") if match else resource


def _same_resource(ours: str, theirs: str) -> bool:
    name = _resource_name(theirs)
    return ours == name or ours.endswith("/" + name) or name.endswith("/" + ours)


def merge(ours: Iterable[Finding], theirs: Iterable[Finding]) -> tuple[list[Finding], int]:
    """Our findings plus Checkov's that do not repeat one of ours (same file, same resource,
    equivalent rule); returns the merged list and how many of Checkov's were dropped as duplicates."""
    kept = list(ours)
    index: dict[tuple[str, str], list[str]] = {}
    for finding in kept:
        index.setdefault((finding.file, finding.check_id), []).append(finding.resource)
    dropped = 0
    seen: set[tuple[str, str, str]] = set()
    for finding in theirs:
        equivalent = EQUIVALENT.get(finding.check_id)
        if equivalent and any(_same_resource(r, finding.resource) for r in index.get((finding.file, equivalent), ())):
            dropped += 1
            continue
        identity = (finding.file, finding.resource, finding.check_id)
        if identity in seen:
            dropped += 1
            continue
        seen.add(identity)
        kept.append(finding)
    return kept, dropped
