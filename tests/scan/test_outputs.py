"""Output writers: SARIF validates against the official 2.1.0 schema, JUnit reads back with junitparser,
JSON and the table carry every finding; no writer ever prints a SAS signature."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

from synthguard.errors import InputError
from synthguard.scan import Baseline, BaselineEntry, ScanOptions, ScanResult, scan
from synthguard.scan.outputs import WRITERS, JsonWriter, JunitWriter, SarifWriter, TableWriter, get_writer

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SIGNATURE = "q9Xh2Lr0VvTz8bQm4nKc7YpWs1EaJd6UfGiOoR3tHyM"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    """Every fixture at once, one finding accepted by a baseline, one expired entry: all shapes of output."""
    first = scan([FIXTURES], ScanOptions(now=NOW))
    accepted = first.findings[0]
    baseline = Baseline((BaselineEntry(accepted.fingerprint, "demo data, DPO ticket PRIV-1", date(2026, 12, 31)),
                         BaselineEntry("sha256:" + "0" * 64, "old exception", date(2026, 1, 1))), "baseline.yaml")
    return scan([FIXTURES], ScanOptions(now=NOW), baseline=baseline)


def test_registry() -> None:
    assert set(WRITERS) == {"table", "json", "sarif", "junit"}
    assert isinstance(get_writer("TEXT"), TableWriter)
    with pytest.raises(InputError):
        get_writer("html")


def test_sarif_validates_against_the_official_schema(result: ScanResult) -> None:
    document = json.loads(SarifWriter().render(result))
    errors = sorted(Draft4Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(document), key=str)
    assert not errors, errors[0]
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {f.check_id for f in result.findings}
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"]["synthguard/v1"].startswith("sha256:")
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert len(suppressed) == 1 and "PRIV-1" in suppressed[0]["suppressions"][0]["justification"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["descriptor"]["id"] == "baseline-expired" for n in notes)


def test_sarif_of_an_empty_scan_validates(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "rg"\n}\n')
    document = json.loads(SarifWriter().render(scan([tmp_path])))
    assert not list(Draft4Validator(SCHEMA).iter_errors(document))
    assert document["runs"][0]["results"] == []


def test_junit_reads_back(result: ScanResult, tmp_path: Path) -> None:
    from junitparser import Error, Failure, JUnitXml, Skipped

    path = tmp_path / "scan.xml"
    path.write_text(JunitWriter().render(result))
    xml = JUnitXml.fromfile(str(path))
    failures = skipped = 0
    for suite in xml:
        for case in suite:
            kinds = {type(r) for r in case.result}
            failures += Failure in kinds or Error in kinds
            skipped += Skipped in kinds
    assert failures == len(result.findings)
    assert skipped == len(result.suppressed) == 1
    assert len(list(xml)) == len(result.checks)


def test_json_carries_findings_and_notes(result: ScanResult) -> None:
    document = json.loads(JsonWriter().render(result))
    assert document["summary"]["findings"] == len(result.findings) == len(document["findings"])
    assert {c["id"] for c in document["checks"]} >= {"SG-STO-001", "SG-PARSE-001"}
    assert any(n["kind"] == "baseline-expired" for n in document["notes"])


def test_table_lists_every_finding(result: ScanResult) -> None:
    text = TableWriter().render(result, width=400)
    for finding in result.findings:
        assert finding.check_id in text
    assert f"{len(result.findings)} finding(s)" in text


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_no_writer_leaks_a_sas_signature(result: ScanResult, name: str) -> None:
    assert any(f.check_id == "SG-SAS-007" for f in result.findings)
    rendered = get_writer(name).render(result)
    assert SIGNATURE not in rendered
    assert "sig=REDACTED" in rendered or name == "table"


def test_sarif_accepts_url_locations_and_foreign_rules() -> None:
    """Live-storage findings name a blob URL; merged findings bring rule ids of their own."""
    from synthguard.scan import Finding, Severity, all_check_infos

    findings = (
        Finding("SG-LIVE-001", Severity.HIGH, "Registered synthetic blob in a public container", "public",
                file="https://acct.blob.core.windows.net/public/customers.csv", resource="public/customers.csv"),
        Finding("CKV_AZURE_33", Severity.LOW, "Queue logging", "merged", file="main.tf", line=3, source="checkov"),
    )
    document = json.loads(SarifWriter().render(ScanResult(findings=findings, checks=all_check_infos())))
    assert not list(Draft4Validator(SCHEMA).iter_errors(document))
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in document["runs"][0]["results"]]
    assert locations[0] == {"uri": "https://acct.blob.core.windows.net/public/customers.csv"}
    assert {r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]} >= {"SG-LIVE-001", "CKV_AZURE_33"}
