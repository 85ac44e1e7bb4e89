"""The risk report: attack risks with confidence intervals and distance metrics, as a value and as JSON.

The JSON form is what is signed and stored with a dataset version; ``RiskReport.from_json`` reads it back
(for ``synthguard show``, the release policy and the HTML page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .attacks.interface import AttackResult
from .dcr import DistanceMetrics
from .stats import Rate

FORMAT = "synthguard.risk/v1"
FAMILIES = ("singling_out", "linkability", "inference")


@dataclass(frozen=True)
class RiskReport:
    """What ``synthguard risk`` found; ``distances`` is the summary of ``dcr.DistanceMetrics``."""

    created_at: str
    inputs: dict[str, Any]
    options: dict[str, Any]
    attacks: tuple[dict[str, Any], ...]
    distances: dict[str, Any] | None
    seconds: float
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "created_at": self.created_at, "version": self.version, "inputs": self.inputs,
                "options": self.options, "attacks": list(self.attacks), "distances": self.distances,
                "seconds": self.seconds, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RiskReport:
        known = {"format", "created_at", "version", "inputs", "options", "attacks", "distances", "seconds"}
        return cls(created_at=str(data["created_at"]), inputs=dict(data["inputs"]), options=dict(data["options"]),
                   attacks=tuple(data["attacks"]), distances=data.get("distances"),
                   seconds=float(data["seconds"]), version=data.get("version"),
                   extra={k: v for k, v in data.items() if k not in known})

    def family_risk(self, family: str) -> dict[str, Any] | None:
        """The attack of ``family`` (singling_out, linkability, inference) with the highest risk."""
        found = [a for a in self.attacks if a["attack"].split(".")[0] == family]
        return max(found, key=lambda a: (a["risk"], a["ci"][1])) if found else None

    def summary(self) -> list[str]:
        """One line per attack and one for distances, for terminals and ``synthguard show``."""
        lines = [f"{a['label']:<28} risk {a['risk']:.3f}  CI [{a['ci'][0]:.3f}, {a['ci'][1]:.3f}]  "
                 f"attack {a['attack_rate'][0]:.3f}  baseline {a['baseline_rate'][0]:.3f}"
                 + (f"  control {a['control_rate'][0]:.3f}" if a["control_rate"] else "") for a in self.attacks]
        d = self.distances
        if d:
            line = (f"{'distances':<28} identical {_fmt(d['identical_share'], '.3%')}  "
                    f"DCR median {_fmt(d['dcr_real']['median'], '.4f')}  "
                    f"NNDR median {_fmt(d['nndr']['median'], '.3f')}")
            if d.get("closer_to_real_share") is not None:
                line += f"  closer to real than holdout {d['closer_to_real_share']:.1%}"
            lines.append(line)
        return lines


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None or value != value else format(value, spec)


def attack_json(result: AttackResult) -> dict[str, Any]:
    def rate(r: Rate | None) -> list[float] | None:
        return None if r is None else [r.value, r.error]
    return {"attack": result.attack, "target": result.target, "label": result.label,
            "n_attacks": result.n_attacks, "n_success": result.n_success, "n_baseline": result.n_baseline,
            "n_control": result.n_control, "attack_rate": rate(result.attack_rate),
            "baseline_rate": rate(result.baseline_rate), "control_rate": rate(result.control_rate),
            "risk": result.risk, "ci": list(result.ci), "details": result.details}


def _stats(values: np.ndarray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": float("nan"), "median": float("nan"), "p05": float("nan"), "min": float("nan")}
    return {"mean": float(finite.mean()), "median": float(np.median(finite)),
            "p05": float(np.percentile(finite, 5)), "min": float(finite.min())}


def _histogram(values: np.ndarray, edges: np.ndarray) -> list[int]:
    return [int(c) for c in np.histogram(values[np.isfinite(values)], bins=edges)[0]]


def distances_json(metrics: DistanceMetrics, bins: int = 30) -> dict[str, Any]:
    """Summary statistics and shared-edge histograms (for the HTML plots) of the distance metrics."""
    top = float(np.nanmax(metrics.dcr_real)) if metrics.dcr_real.size else 1.0
    if metrics.dcr_holdout is not None and metrics.dcr_holdout.size:
        top = max(top, float(np.nanmax(metrics.dcr_holdout)))
    edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
    out: dict[str, Any] = {
        "definition": "SDMetrics DCR: mean over columns of capped |a-b|/range (numeric) or 0/1 (categorical)",
        "records": int(metrics.dcr_real.size), "identical_share": metrics.identical_share,
        "dcr_real": _stats(metrics.dcr_real), "nndr": _stats(metrics.nndr),
        "closer_to_real_share": metrics.closer_to_real_share,
        "histogram": {"edges": [float(e) for e in edges], "real": _histogram(metrics.dcr_real, edges)}}
    if metrics.dcr_holdout is not None:
        out["dcr_holdout"] = _stats(metrics.dcr_holdout)
        out["histogram"]["holdout"] = _histogram(metrics.dcr_holdout, edges)
    return out
