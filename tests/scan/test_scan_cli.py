"""``synthguard scan`` from the shell: formats, --out, --fail-on exit codes, baselines, bad input,
and the audit record when a workspace is present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clirunner import run_cli
from synthguard import config
from synthguard.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
POSITIVE = str(FIXTURES / "SG-STO-001" / "positive.tf")
CLEAN = str(FIXTURES / "SG-NET-001" / "negative.json")
MEDIUM_ONLY = str(FIXTURES / "SG-KV-003" / "positive.bicep")


@pytest.fixture(autouse=True)
def _env(cli_env: config.Settings) -> None:
    """Point SYNTHGUARD_HOME at an empty directory: the scan runs without a workspace."""


def test_json_and_default_threshold() -> None:
    result = run_cli("scan", POSITIVE, "--format", "json")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    assert "SG-STO-001" in {f["check_id"] for f in document["findings"]}


def test_clean_tree_exits_zero() -> None:
    result = run_cli("scan", CLEAN)
    assert result.code == 0, result.out + result.err
    assert "0 finding(s)" in result.out


@pytest.mark.parametrize("threshold,code", [("low", 1), ("medium", 1), ("high", 0), ("critical", 0), ("none", 0)])
def test_fail_on(threshold: str, code: int) -> None:
    assert run_cli("scan", MEDIUM_ONLY, "--fail-on", threshold, "-f", "json").code == code


def test_sarif_and_junit_to_files(tmp_path: Path) -> None:
    sarif = tmp_path / "out" / "scan.sarif"
    result = run_cli("scan", POSITIVE, "--format", "sarif", "--out", str(sarif))
    assert result.code == 1 and sarif.exists() and "report:" in result.out
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    junit = tmp_path / "scan.xml"
    assert run_cli("scan", POSITIVE, "-f", "junit", "--out", str(junit), "--fail-on", "none").code == 0
    assert junit.read_text().startswith("<?xml")
    assert not list(tmp_path.rglob("*.synthguard-tmp"))


def test_write_baseline_then_accept(tmp_path: Path) -> None:
    baseline = tmp_path / "accepted.yaml"
    written = run_cli("scan", POSITIVE, "--write-baseline", str(baseline), "--reason", "sandbox only",
                      "--expires", "2999-01-01")
    assert written.code == 0 and baseline.exists(), written.err
    accepted = run_cli("scan", POSITIVE, "--baseline", str(baseline), "-f", "json")
    assert accepted.code == 0, accepted.out
    assert json.loads(accepted.out)["summary"]["suppressed"] >= 1


@pytest.mark.parametrize("args,needle", [
    (("scan", "/no/such/dir"), "/no/such/dir: no such file or directory"),
    (("scan", POSITIVE, "--fail-on", "severe"), "unknown severity 'severe'"),
    (("scan", POSITIVE, "--write-baseline", "b.yaml"), "needs --reason"),
    (("scan", POSITIVE, "--sas-max-days", "-1"), "sas-max-days"),
])
def test_bad_input_exits_two_with_one_line(args: tuple[str, ...], needle: str) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert result.err.startswith("error: ") and needle in result.err and result.err.count("\n") == 1


def test_bad_baseline_names_entry_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("accepted:\n  - fingerprint: sha256:nothex\n    reason: r\n    expires: 2030-01-01\n")
    result = run_cli("scan", POSITIVE, "--baseline", str(bad))
    assert result.code == 2 and f"{bad}, row 1, field 'fingerprint'" in result.err


def test_scan_is_audited_when_a_workspace_exists(ws: Workspace) -> None:
    assert run_cli("scan", POSITIVE, "--fail-on", "none").code == 0
    assert run_cli("scan", "/no/such/dir").code == 2
    events = [e for e in ws.audit.events() if e.action == "scan.run"]
    assert [e.outcome for e in events] == ["success", "failure"]
    assert events[0].details["findings"] >= 1
