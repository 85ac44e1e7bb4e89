"""Every check fires on its positive fixture and stays silent on its negative one.

Fixtures live in ``tests/scan/fixtures/<check id>/positive.*`` and ``negative.*``; each is a realistic
snippet of the format the check reads (ARM, Bicep, Terraform HCL or plan JSON, Kubernetes YAML,
Graph / Data Factory / DevOps exports, scripts holding SAS URLs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from synthguard.scan import CHECKS, ScanOptions, scan

FIXTURES = Path(__file__).parent / "fixtures"
#: Fixtures' SAS expiry dates are written relative to this moment.
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CHECK_IDS = [c.info.id for c in CHECKS]


def fixture(check_id: str, kind: str) -> Path:
    matches = sorted((FIXTURES / check_id).glob(f"{kind}.*"))
    assert len(matches) == 1, f"{check_id} needs exactly one {kind}.* fixture, found {matches}"
    return matches[0]


def test_every_check_has_fixtures_and_nothing_else_does() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(CHECK_IDS)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_check_fires_on_positive(check_id: str) -> None:
    result = scan([fixture(check_id, "positive")], ScanOptions(now=NOW))
    hits = [f for f in result.findings if f.check_id == check_id]
    assert hits, f"{check_id} did not fire; findings: {[f.check_id for f in result.findings]}"
    assert not [f for f in result.findings if f.check_id == "SG-PARSE-001"]
    for finding in hits:
        assert finding.file.endswith(fixture(check_id, "positive").name)
        assert finding.line is not None and finding.line >= 1
        assert finding.remediation and finding.references and finding.title


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_check_silent_on_negative(check_id: str) -> None:
    result = scan([fixture(check_id, "negative")], ScanOptions(now=NOW))
    assert result.resources or result.files_scanned
    assert [f.message for f in result.findings if f.check_id == check_id] == []
    assert not [f for f in result.findings if f.check_id == "SG-PARSE-001"]


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_only_option_runs_one_check(check_id: str) -> None:
    result = scan([fixture(check_id, "positive")], ScanOptions(now=NOW, only=(check_id,)))
    assert {f.check_id for f in result.findings} == {check_id}
