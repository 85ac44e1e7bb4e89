"""The release check: a version whose stored risk report is above the workspace policy is refused,
unless overridden with a reason, which the audit log records."""

from __future__ import annotations

from pathlib import Path

import pytest
from risk_tables import people, with_copies, write
from sqlalchemy import update

from synthguard.errors import InputError, SignatureError, SynthGuardError
from synthguard.risk import AttackOptions, RiskOptions, RiskPolicyError, assess_and_store, check_release_allowed
from synthguard.store.tables import RiskReportRow
from synthguard.workspace import Workspace

OPTIONS = RiskOptions(attack=AttackOptions(n_attacks=100, secrets=("plan",), max_attempts=50_000), seed=11)


def _version(ws: Workspace, tmp_path: Path, copied: float) -> tuple[str, Path, Path]:
    real = people(500, seed=1)
    export = tmp_path / "export"
    export.mkdir()
    syn = write(export / "syn.parquet", with_copies(real, copied, seed=2))
    ws.register([export], name="customers", generator="g", source="s", purpose="p", owner="o@example.com")
    return "customers@1", write(tmp_path / "real.csv", real), syn


def _policy(ws: Workspace, text: str) -> None:
    with ws.settings.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n[risk]\n" + text + "\n")


def _actions(ws: Workspace) -> list[tuple[str, str, str]]:
    return [(e.action, e.object, e.outcome) for e in ws.audit.events() if e.action.startswith("risk.")]


def test_release_above_policy_is_refused_unless_overridden(ws: Workspace, tmp_path: Path) -> None:
    ref, real, syn = _version(ws, tmp_path, copied=0.6)
    report, _ = assess_and_store(ws, real, syn, None, OPTIONS, dataset=ref)
    linkability = next(a for a in report.attacks if a["attack"] == "linkability")
    assert linkability["risk"] > 0.3
    _policy(ws, "max_linkability = 0.05\nmax_singling_out = 1.0")

    with pytest.raises(RiskPolicyError) as caught:
        check_release_allowed(ws, ref)
    message = caught.value.diagnostics()
    assert caught.value.exit_code == 1
    assert f"linkability risk {linkability['risk']:.3f}" in message
    assert "policy maximum 0.050" in message and "max_linkability" in message and ref in message

    decision = check_release_allowed(ws, ref, override_reason="DPO approved, ticket PRIV-42")
    assert decision.allowed and decision.overridden
    assert [v.key for v in decision.violations] == ["max_linkability"]
    events = [e for e in ws.audit.events() if e.action == "risk.override"]
    assert events[0].details["reason"] == "DPO approved, ticket PRIV-42"
    assert _actions(ws)[-2:] == [("risk.policy", ref, "denied"), ("risk.override", ref, "success")]

    with pytest.raises(InputError):
        check_release_allowed(ws, ref, override_reason="   ")


def test_within_policy_and_upper_bound_basis(ws: Workspace, tmp_path: Path) -> None:
    ref, real, syn = _version(ws, tmp_path, copied=0.0)
    report, _ = assess_and_store(ws, real, syn, None, OPTIONS, dataset=ref)
    upper = max(a["ci"][1] for a in report.attacks if a["attack"] == "linkability")
    _policy(ws, f"max_linkability = {upper + 0.01:.4f}\nmax_inference = 1.0\nmax_identical_share = 0.0")
    decision = check_release_allowed(ws, ref)
    assert decision.allowed and not decision.overridden and decision.violations == ()

    ws.settings.config_path.write_text(ws.settings.config_path.read_text().replace(
        "max_identical_share = 0.0", f'max_identical_share = 0.0\nbasis = "upper"\nmax_singling_out = '
        f'{max(a["ci"][1] for a in report.attacks if a["attack"].startswith("singling")) - 1e-9:.12f}'))
    with pytest.raises(RiskPolicyError, match="singling_out"):
        check_release_allowed(ws, ref)


def test_no_report_no_policy_and_tampering(ws: Workspace, tmp_path: Path) -> None:
    ref, real, syn = _version(ws, tmp_path, copied=0.0)
    assert check_release_allowed(ws, ref).allowed  # no policy: nothing to enforce
    _policy(ws, "max_inference = 1.0")
    with pytest.raises(RiskPolicyError, match="has no risk report"):
        check_release_allowed(ws, ref)
    assess_and_store(ws, real, syn, None, OPTIONS, dataset=ref)
    assert check_release_allowed(ws, ref).violations == ()  # evaluated against the signed report
    with ws.session() as session, session.begin():
        row = session.query(RiskReportRow).one()
        envelope = dict(row.envelope)
        envelope["payload"] = envelope["payload"][:-4] + ("AAAA" if envelope["payload"][-4:] != "AAAA" else "BBBB")
        session.execute(update(RiskReportRow).values(envelope=envelope))
    with pytest.raises(SignatureError):
        check_release_allowed(ws, ref)


def test_bad_policy_and_failed_runs_are_reported(ws: Workspace, tmp_path: Path) -> None:
    ref, real, syn = _version(ws, tmp_path, copied=0.0)
    _policy(ws, "max_linkability = 2")
    with pytest.raises(SynthGuardError, match="between 0 and 1"):
        check_release_allowed(ws, ref)
    with pytest.raises(InputError, match="not part of customers@1"):
        assess_and_store(ws, real, real, None, OPTIONS, dataset=ref)
    with pytest.raises(InputError, match="secret column"):
        assess_and_store(ws, real, syn, None, RiskOptions(attack=AttackOptions(secrets=("nope",))), dataset=ref)
    assert _actions(ws) == [("risk.assess", ref, "failure"), ("risk.assess", ref, "failure")]
