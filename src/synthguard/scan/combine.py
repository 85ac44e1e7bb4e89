"""Combine the results of several scans of one run (IaC paths, live storage accounts, Checkov) into
one ``ScanResult``, de-duplicated by fingerprint and filtered through the baseline once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .baseline import Baseline
from .model import Finding, Note, ScanResult, Suppressed


def combine(results: Sequence[ScanResult], *, extra_findings: Sequence[Finding] = (),
            extra_notes: Sequence[Note] = (), baseline: Baseline | None = None,
            now: datetime | None = None) -> ScanResult:
    findings = list({f.fingerprint: f for r in results for f in (*r.findings, *extra_findings)}.values())
    notes = [n for r in results for n in r.notes] + list(extra_notes)
    suppressed: list[Suppressed] = [s for r in results for s in r.suppressed]
    if baseline is not None:
        findings, newly, baseline_notes = baseline.apply(findings, (now or datetime.now(UTC)).date())
        suppressed.extend(newly)
        notes.extend(baseline_notes)
    findings.sort(key=Finding.sort_key)
    checks = tuple({c.id: c for r in results for c in r.checks}.values())
    return ScanResult(findings=tuple(findings), notes=tuple(notes), suppressed=tuple(suppressed),
                      files_scanned=sum(r.files_scanned for r in results),
                      resources=sum(r.resources for r in results), seconds=sum(r.seconds for r in results),
                      checks=checks, targets=tuple(t for r in results for t in r.targets))
