"""The workspace's risk policy and the release check that enforces it.

    [risk]                      # in the workspace config.toml
    max_singling_out = 0.05     # highest allowed risk per attack family (univariate or multivariate)
    max_linkability = 0.05
    max_inference = 0.10        # over every secret column attacked
    max_identical_share = 0.0   # share of synthetic records identical to a real one
    basis = "risk"              # compare the point estimate ("risk") or the CI's upper end ("upper")

``check_release_allowed`` is called by ``release``: it reads the version's newest signed risk report and
refuses (``RiskPolicyError``, exit 1) when a figure is above its maximum, unless an override reason is
given, which is recorded in the audit log. With no maximum configured every version passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.records import find_version
from ..config import read_known_table
from ..errors import InputError, VerificationError, WorkspaceError
from .records import verified_report
from .report import RiskReport

if TYPE_CHECKING:
    from ..workspace import Workspace

_FAMILIES = {"max_singling_out": "singling_out", "max_linkability": "linkability", "max_inference": "inference"}


class RiskPolicyError(VerificationError):
    """A version's re-identification risk is above the workspace policy (a policy finding, exit 1)."""


@dataclass(frozen=True)
class RiskPolicy:
    """Maxima per attack family (None: not limited) and which figure is compared."""

    max_singling_out: float | None = None
    max_linkability: float | None = None
    max_inference: float | None = None
    max_identical_share: float | None = None
    basis: str = "risk"

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.max_singling_out, self.max_linkability, self.max_inference,
                                           self.max_identical_share))

    @classmethod
    def load(cls, config_path: Path) -> RiskPolicy:
        table = read_known_table(config_path, "risk", cls.__dataclass_fields__)
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key == "basis":
                if value not in ("risk", "upper"):
                    raise WorkspaceError('[risk] basis must be "risk" or "upper"', path=str(config_path))
                values[key] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                raise WorkspaceError(f"[risk] {key} must be a number between 0 and 1", path=str(config_path))
            values[key] = float(value)
        return cls(**values)


@dataclass(frozen=True)
class Violation:
    """One figure above its maximum (``label`` names the attack, e.g. ``inference[email]``)."""

    key: str
    label: str
    value: float
    ci: tuple[float, float] | None
    maximum: float

    def describe(self) -> str:
        ci = f" (95% CI {self.ci[0]:.3f}–{self.ci[1]:.3f})" if self.ci else ""
        return (f"{self.label} risk {self.value:.3f}{ci} exceeds the policy maximum {self.maximum:.3f} "
                f"([risk] {self.key})")


@dataclass(frozen=True)
class PolicyDecision:
    allowed: bool
    overridden: bool
    violations: tuple[Violation, ...]
    report_created_at: str | None


def evaluate(policy: RiskPolicy, report: RiskReport | None) -> list[Violation]:
    """The figures of ``report`` above ``policy``; a missing report or attack counts as a violation
    (value 1.0) because nothing shows the version is within the policy."""
    if not policy.active:
        return []
    out: list[Violation] = []
    for key, family in _FAMILIES.items():
        maximum = getattr(policy, key)
        if maximum is None:
            continue
        attack = report.family_risk(family) if report else None
        if attack is None:
            out.append(Violation(key, f"{family} (not measured)", 1.0, None, maximum))
            continue
        value = attack["ci"][1] if policy.basis == "upper" else attack["risk"]
        if value > maximum:
            out.append(Violation(key, attack["label"], value, (attack["ci"][0], attack["ci"][1]), maximum))
    if policy.max_identical_share is not None:
        share = (report.distances or {}).get("identical_share") if report else None
        if share is None:
            out.append(Violation("max_identical_share", "identical records (not measured)", 1.0, None,
                                 policy.max_identical_share))
        elif share > policy.max_identical_share:
            out.append(Violation("max_identical_share", "identical records share", share, None,
                                 policy.max_identical_share))
    return out


def check_release_allowed(ws: Workspace, version_ref: str, override_reason: str | None = None) -> PolicyDecision:
    """Raise ``RiskPolicyError`` when ``version_ref``'s stored risk report is above the workspace's
    ``[risk]`` policy; with ``override_reason`` allow it anyway and record the reason in the audit log."""
    policy = RiskPolicy.load(ws.settings.config_path)
    with ws.session() as session:
        row = find_version(session, ws.settings.tenant, version_ref)
        version_id, ref, digest = row.id, f"{row.dataset.name}@{row.version}", row.digest
    report = verified_report(ws, version_id) if policy.active else None
    violations = tuple(evaluate(policy, report))
    created = report.created_at if report else None
    if not violations:
        return PolicyDecision(True, False, (), created)
    details: dict[str, Any] = {"violations": [v.describe() for v in violations], "basis": policy.basis,
                               "report_created_at": created}
    if override_reason is not None:
        reason = override_reason.strip()
        if not reason:
            raise InputError("an override needs a reason", field="override-reason")
        ws.record("risk.override", ref, digest=digest, details=details | {"reason": reason})
        return PolicyDecision(True, True, violations, created)
    ws.record("risk.policy", ref, outcome="denied", digest=digest, details=details)
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    if report is None:
        raise RiskPolicyError(f"{ref} has no risk report; run 'synthguard risk --dataset {ref} …' first, "
                              f"or override with a reason")
    raise RiskPolicyError(f"{ref}: {first.describe()}{more}; release refused unless overridden with a reason")
