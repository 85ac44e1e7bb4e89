"""Checkov interop: its failed checks become findings (source "checkov"), and the ones that repeat
one of ours on the same resource (by the equivalence table) are dropped. The end-to-end test runs a
real Checkov (on PATH or $SYNTHGUARD_CHECKOV; not a CI dependency) and is skipped without one."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from clirunner import run_cli
from synthguard.scan import Finding, Severity, scan
from synthguard.scan.checkov import EQUIVALENT, find_checkov, merge, to_finding

FIXTURES = Path(__file__).parent / "fixtures"
KNOWN = "/tmp/checkov-venv/bin/checkov"


def _checkov() -> str | None:
    return find_checkov() or (KNOWN if Path(KNOWN).exists() else None)


def _ours(check_id: str, file: str, resource: str) -> Finding:
    return Finding(check_id, Severity.HIGH, "t", "m", file=file, resource=resource)


def test_arm_and_terraform_resources_are_matched_to_ours(tmp_path: Path) -> None:
    container = to_finding({"check_id": "CKV_AZURE_34", "check_name": "container private",
                            "resource": "blobServices/containers.default/ctgan-exports", "file_path": "/t.json",
                            "file_line_range": [15, 21]}, tmp_path)
    account = to_finding({"check_id": "CKV_AZURE_190", "check_name": "blobs restrict public access",
                          "resource": "azurerm_storage_account.synth", "file_path": "/main.tf",
                          "file_line_range": [1, 9], "severity": "HIGH"}, tmp_path)
    other = to_finding({"check_id": "CKV_AZURE_206", "check_name": "replication",
                        "resource": "Microsoft.Storage/storageAccounts.stsynth", "file_path": "/t.json",
                        "file_line_range": [5, 23]}, tmp_path)
    assert container.source == "checkov" and container.line == 15 and container.severity is Severity.MEDIUM
    assert account.severity is Severity.HIGH and account.file.endswith("main.tf")
    ours = [_ours("SG-STO-002", container.file, "stsynth/default/ctgan-exports"),
            _ours("SG-STO-001", account.file, "azurerm_storage_account.synth")]
    merged, dropped = merge(ours, [container, account, other, other])
    assert dropped == 3  # two equivalents and one repeat
    assert [f.check_id for f in merged] == ["SG-STO-002", "SG-STO-001", "CKV_AZURE_206"]
    # the same rule on a different resource is not a duplicate
    elsewhere = _ours("SG-STO-001", account.file, "azurerm_storage_account.other")
    assert merge([elsewhere], [account])[1] == 0


def test_equivalence_table_points_at_real_checks() -> None:
    from synthguard.scan import CHECKS

    ids = {c.info.id for c in CHECKS}
    assert set(EQUIVALENT.values()) <= ids
    assert EQUIVALENT["CKV_AZURE_190"] == "SG-STO-001" and EQUIVALENT["CKV_AZURE_34"] == "SG-STO-002"


def test_with_checkov_merges_real_checkov_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = _checkov()
    if binary is None:
        pytest.skip("checkov not installed (pip install checkov into /tmp/checkov-venv)")
    tree = tmp_path / "infra"
    for check in ("SG-STO-001", "SG-STO-002"):
        shutil.copytree(FIXTURES / check, tree / check)
    monkeypatch.setenv("SYNTHGUARD_CHECKOV", binary)
    monkeypatch.setenv("SYNTHGUARD_HOME", str(tmp_path / "no-workspace"))
    monkeypatch.chdir(tmp_path)
    out = run_cli("scan", "infra", "--with-checkov", "--format", "json", "--fail-on", "none")
    assert out.code == 0, out.err
    report = json.loads(out.out)
    findings = report["findings"]
    theirs = [f for f in findings if f["source"] == "checkov"]
    ours = [f for f in findings if f["source"] == "synthguard"]
    assert len(ours) == len(scan([tree]).findings)
    assert theirs and all(f["check_id"].startswith("CKV") for f in theirs)
    # Checkov reports CKV_AZURE_190 / CKV2_AZURE_47 / CKV_AZURE_34 on these fixtures; ours cover them.
    assert not [f for f in theirs if f["check_id"] in ("CKV_AZURE_190", "CKV2_AZURE_47", "CKV_AZURE_34")
                and "positive" in f["file"]]
    assert any(f["check_id"] == "CKV_AZURE_206" for f in theirs)  # no equivalent of ours: kept
    assert all(not f["file"].startswith("/") for f in theirs)  # same relative naming as ours
    assert os.environ["SYNTHGUARD_CHECKOV"] == binary


def test_with_checkov_missing_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHGUARD_CHECKOV", str(tmp_path / "no-such-checkov"))
    monkeypatch.setenv("SYNTHGUARD_HOME", str(tmp_path / "no-workspace"))
    out = run_cli("scan", str(FIXTURES / "SG-STO-001"), "--with-checkov")
    assert out.code == 2 and "checkov is not installed" in out.err
