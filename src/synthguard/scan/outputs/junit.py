"""JUnit XML output: one test suite per check, one test case per finding (failure), baseline-suppressed
findings as skipped, parse errors as errors, and a passing case for each check with no finding — the
shape CI systems (Azure Pipelines, GitLab, Jenkins) display.

Written with the standard library's ElementTree: the format is a few elements and no maintained
writer adds anything for it (tests read the output back with ``junitparser``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import ClassVar

from ..model import Finding, ScanResult
from .interface import OutputWriter


def _case_name(finding: Finding) -> str:
    where = f"{finding.file}:{finding.line}" if finding.line else finding.file
    return f"{finding.resource or finding.check_id} ({where})"


class JunitWriter(OutputWriter):
    name: ClassVar[str] = "junit"
    media_type: ClassVar[str] = "application/xml"

    def render(self, result: ScanResult) -> str:
        by_check: dict[str, list[Finding]] = defaultdict(list)
        for finding in result.findings:
            by_check[finding.check_id].append(finding)
        skipped = defaultdict(list)
        for s in result.suppressed:
            skipped[s.finding.check_id].append(s)
        root = ET.Element("testsuites", name="synthguard scan", time=f"{result.seconds:.3f}")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for info in result.checks:
            failures = by_check.get(info.id, [])
            suite = ET.SubElement(root, "testsuite", name=f"{info.id} {info.title}")
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            for finding in failures:
                case = ET.SubElement(suite, "testcase", classname=info.id, name=_case_name(finding))
                kind = "error" if info.id == "SG-PARSE-001" else "failure"
                element = ET.SubElement(case, kind, message=finding.message, type=finding.severity.value)
                element.text = (f"{finding.message}\nseverity: {finding.severity.value}\nfix: {finding.remediation}"
                                f"\nreferences: {'; '.join(finding.references)}\nfingerprint: {finding.fingerprint}")
                counts["tests"] += 1
                counts["errors" if kind == "error" else "failures"] += 1
            for s in skipped.get(info.id, []):
                case = ET.SubElement(suite, "testcase", classname=info.id, name=_case_name(s.finding))
                ET.SubElement(case, "skipped", message=f"accepted until {s.expires}: {s.reason}")
                counts["tests"] += 1
                counts["skipped"] += 1
            if counts["tests"] == 0:
                ET.SubElement(suite, "testcase", classname=info.id, name="no findings")
                counts["tests"] = 1
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
