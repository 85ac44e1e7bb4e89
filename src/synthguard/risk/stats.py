"""Attack success rates with Wilson score intervals, and the residual risk over a control attack.

The same estimators as Anonymeter (``anonymeter.stats.confidence``), so that our figures are comparable:
rate = (k + z²/2) / (n + z²), error = z / (n + z²) · sqrt(k (n − k) / n + z²/4); the risk is
(attack − control) / (1 − control) with the error propagated to first order, clipped to [0, 1].
Hand-written: a few lines of arithmetic; ``statistics.NormalDist`` gives the probit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Rate:
    """A success rate estimate and its symmetric error bound at the chosen confidence level."""

    value: float
    error: float


def probit(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (1.96 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(0.5 * (1.0 + confidence))


def wilson(n_total: int, n_success: float, confidence: float = 0.95) -> Rate:
    """Wilson score estimate of a Bernoulli success rate (``n_success`` may be fractional after
    the singling-out size correction)."""
    if n_total <= 0:
        raise ValueError("a success rate needs at least one trial")
    z = probit(confidence)
    z2 = z * z
    variance = max(n_success * (n_total - n_success) / n_total, 0.0)
    denominator = n_total + z2
    return Rate((n_success + 0.5 * z2) / denominator, (z / denominator) * math.sqrt(variance + 0.25 * z2))


def residual(attack: Rate, control: Rate) -> Rate:
    """Excess success of the attack over the control attack, normalised by the room left above it."""
    room = 1.0 - control.value
    if room <= 0.0:  # the control attack always succeeds: no excess can be measured
        return Rate(0.0, 1.0)
    value = (attack.value - control.value) / room
    d_attack = 1.0 / abs(room)
    d_control = (attack.value - 1.0) / room**2
    return Rate(value, math.sqrt((attack.error * d_attack) ** 2 + (control.error * d_control) ** 2))


def bounded(rate: Rate) -> tuple[float, float, float]:
    """``(value, low, high)`` clipped to [0, 1], as Anonymeter reports a PrivacyRisk."""
    def clip(x: float) -> float:
        return min(max(x, 0.0), 1.0)
    return clip(rate.value), clip(rate.value - rate.error), clip(rate.value + rate.error)
