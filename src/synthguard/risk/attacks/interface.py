"""The attack interface: one privacy attack (Anonymeter's definitions) run on encoded tables.

An attack measures three success counts — the attack on the real (training) records, the baseline
(random guessing) and, when a control set of real records not used for training is given, the same
attack on the control records — and turns them into a risk with a Wilson confidence interval
(``risk.stats``). Adding an attack is adding one module and one line to ``attacks/__init__.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import InputError
from ..data import Frame
from ..stats import Rate, bounded, residual, wilson


@dataclass(frozen=True)
class AttackOptions:
    """Parameters shared by the attacks; the defaults are Anonymeter's."""

    n_attacks: int = 500
    n_cols: int = 3  # columns per multivariate singling-out query
    n_neighbors: int = 1  # linkability: a link needs a common synthetic record among the k nearest
    aux_cols: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # linkability split (default: halves)
    secrets: tuple[str, ...] = ()  # inference: one attack per secret column, the rest as auxiliary
    regression: bool = False  # inference on numeric secrets: within 5 % counts as correct
    max_attempts: int | None = 10_000_000
    confidence: float = 0.95


@dataclass(frozen=True)
class AttackData:
    """The encoded tables: ``real`` (training records), ``synthetic``, optional ``control``."""

    real: Frame
    synthetic: Frame
    control: Frame | None


@dataclass(frozen=True)
class AttackResult:
    """One attack's counts, rates and risk; ``target`` is the secret column of an inference attack."""

    attack: str
    target: str | None
    n_attacks: int
    n_success: float
    n_baseline: float
    n_control: float | None
    attack_rate: Rate
    baseline_rate: Rate
    control_rate: Rate | None
    risk: float
    ci: tuple[float, float]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.attack}[{self.target}]" if self.target else self.attack

    @classmethod
    def build(cls, attack: str, *, n_attacks: int, n_success: float, n_baseline: float,
              n_control: float | None, confidence: float, target: str | None = None,
              n_attacks_baseline: int | None = None, n_attacks_control: int | None = None,
              details: dict[str, Any] | None = None) -> AttackResult:
        attack_rate = wilson(n_attacks, n_success, confidence)
        baseline_rate = wilson(n_attacks_baseline or n_attacks, n_baseline, confidence)
        control_rate = None if n_control is None else wilson(n_attacks_control or n_attacks, n_control, confidence)
        value, low, high = bounded(attack_rate if control_rate is None else residual(attack_rate, control_rate))
        return cls(attack, target, n_attacks, n_success, n_baseline, n_control, attack_rate, baseline_rate,
                   control_rate, value, (low, high), details or {})


class Attack(ABC):
    """One attack family; ``run`` may give several results (e.g. one per secret column)."""

    name: str

    @abstractmethod
    def run(self, data: AttackData, options: AttackOptions, rng: np.random.Generator) -> list[AttackResult]:
        """Attack ``data.real`` through ``data.synthetic``; raise ``InputError`` on unusable input."""


def require_rows(frame: Frame, needed: int, what: str) -> None:
    if frame.rows < needed:
        raise InputError(f"{what} needs at least {needed} rows but the table has {frame.rows}; "
                         f"lower --n-attacks or give more rows", path=frame.label)
