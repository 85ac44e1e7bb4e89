"""Linkability attack (Anonymeter's ``LinkabilityEvaluator``).

The attacker holds two datasets that share records with the real one but carry different columns
(the auxiliary split ``aux_cols``). For each of ``n_attacks`` real records drawn at random, it looks up
the nearest synthetic records on each half's columns; the two halves are linked when their
``n_neighbors`` nearest synthetic records share one. The baseline draws those neighbours at random.
Distances are Anonymeter's (``risk.distance``), normalised over the synthetic records and the targets.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ..data import Frame
from ..distance import nearest
from .interface import Attack, AttackData, AttackOptions, AttackResult, require_rows


def default_split(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Without an explicit split, the first half of the columns against the second."""
    half = (len(names) + 1) // 2
    return names[:half], names[half:]


def count_links(first: np.ndarray, second: np.ndarray) -> int:
    """Targets whose two neighbour lists (rows of ``first`` / ``second``) share a synthetic record."""
    return sum(1 for a, b in zip(first, second, strict=True) if set(a.tolist()) & set(b.tolist()))


def _links(targets: Frame, syn: Frame, split: tuple[tuple[str, ...], tuple[str, ...]], k: int,
           rng: np.random.Generator) -> int:
    first = nearest(targets.select(split[0]), syn.select(split[0]), k, rng)
    second = nearest(targets.select(split[1]), syn.select(split[1]), k, rng)
    return count_links(first, second)


class Linkability(Attack):
    name = "linkability"

    def run(self, data: AttackData, options: AttackOptions, rng: np.random.Generator) -> list[AttackResult]:
        split = options.aux_cols or default_split(data.real.names)
        for group in split:
            if not group:
                raise InputError("linkability needs two non-empty groups of auxiliary columns", field="aux-cols")
            unknown = [c for c in group if c not in data.real.names]
            if unknown:
                raise InputError(f"auxiliary column(s) {', '.join(map(repr, unknown))} not in the tables",
                                 field="aux-cols")
        n = options.n_attacks
        require_rows(data.real, n, "the linkability attack")
        if data.control is not None:
            require_rows(data.control, n, "the linkability attack on the control set")
        k = min(options.n_neighbors, data.synthetic.rows)
        baseline_first = np.array([rng.choice(data.synthetic.rows, size=k, replace=False) for _ in range(n)])
        baseline_second = np.array([rng.choice(data.synthetic.rows, size=k, replace=False) for _ in range(n)])
        n_baseline = count_links(baseline_first, baseline_second)
        targets = data.real.take(rng.choice(data.real.rows, size=n, replace=False))
        n_success = _links(targets, data.synthetic, split, k, rng)
        n_control = None
        if data.control is not None:
            controls = data.control.take(rng.choice(data.control.rows, size=n, replace=False))
            n_control = _links(controls, data.synthetic, split, k, rng)
        return [AttackResult.build("linkability", n_attacks=n, n_success=n_success, n_baseline=n_baseline,
                                   n_control=n_control, confidence=options.confidence,
                                   details={"aux_cols": [list(split[0]), list(split[1])], "n_neighbors": k})]
