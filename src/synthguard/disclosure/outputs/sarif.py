"""SARIF 2.1.0 through the scan package's writer: each disclosure check becomes a ``CheckInfo``, each gap
a ``Finding`` on the page (file or URL, line, element locator), each skipped page a note, so disclosure
results look like every other SynthGuard SARIF log (fingerprints, rule metadata, GitHub severities)."""

from __future__ import annotations

import os

from ...scan.model import CheckInfo, Finding, Note, ScanResult, Severity
from ...scan.outputs.sarif import SarifWriter
from .. import vocabulary as v
from ..report import SiteReport
from .interface import Output

REFERENCES = ("EU AI Act Art. 50", "WCAG 2.2 SC 1.3.1")
_SEVERITY = {"data-synthetic": Severity.MEDIUM, "source-attributes": Severity.LOW, "visible-label": Severity.HIGH,
             "aria-describedby": Severity.MEDIUM, "alt-text": Severity.HIGH, "page-marker": Severity.MEDIUM}
HELP = {
    "data-synthetic": 'Add data-synthetic="true" to the element (synthguard disclose rewrite does it).',
    "source-attributes": "Add data-synthetic-generator and data-synthetic-source with the declared values.",
    "visible-label": "Show a visible label such as 'AI-generated' inside the element or right next to it.",
    "aria-describedby": "Give the label an id and point the element's aria-describedby at it.",
    "alt-text": "Do not describe an AI-generated image as a photo; say it is AI-generated.",
    "page-marker": 'Add <meta name="ai-generated-content" content="partial"> to the page head.',
}
CHECKS = {check: CheckInfo(rule, _SEVERITY[check], f"AI disclosure: {check}", text, HELP[check], REFERENCES)
          for check, (rule, text) in v.CHECKS.items()}


def _where(report: SiteReport, url: str) -> str:
    """A crawled page's URL; a scanned file's path relative to the working directory (SARIF's %SRCROOT%)."""
    source = report.sources.get(url)
    if source is None:
        return url
    relative = os.path.relpath(source)
    return os.path.abspath(source) if relative.startswith("..") else relative


class SarifOutput(Output):
    name = "sarif"
    suffix = ".sarif"

    def render(self, report: SiteReport) -> bytes:
        findings = tuple(
            Finding.of(CHECKS[gap.check], f"{gap.message} [{gap.surface}]", file=_where(report, gap.url),
                       line=gap.line, resource=gap.locator, key=gap.check)
            for gap in report.gaps)
        notes = tuple(Note(entry["reason"], file=entry["url"]) for entry in report.skipped)
        result = ScanResult(findings=findings, notes=notes, files_scanned=len(report.pages),
                            checks=tuple(CHECKS.values()), targets=(report.target,))
        return SarifWriter().render(result).encode()
