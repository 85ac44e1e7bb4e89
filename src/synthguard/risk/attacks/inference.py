"""Attribute-inference attack (Anonymeter's ``InferenceEvaluator``), one per secret column.

The attacker knows every other column of a real record (the auxiliary columns), finds the nearest
synthetic record on them and guesses its secret value. A guess is right when it equals the secret
(two nulls match); with ``regression`` a numeric guess within 5 % (|guess − secret| / guess ≤ 0.05,
Anonymeter's rule) counts. The baseline guesses the secret of a random synthetic record.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ..data import NUM, Frame
from ..distance import nearest
from .interface import Attack, AttackData, AttackOptions, AttackResult

TOLERANCE = 0.05


def correct(guesses: np.ndarray, secrets: np.ndarray, numeric: bool, regression: bool) -> int:
    """How many guesses are right."""
    if numeric:
        both_null = np.isnan(guesses) & np.isnan(secrets)
        if regression:
            with np.errstate(divide="ignore", invalid="ignore"):
                match = np.abs(guesses - secrets) / (guesses + 1e-12) <= TOLERANCE
        else:
            match = guesses == secrets
    else:
        both_null = (guesses < 0) & (secrets < 0)
        match = guesses == secrets
    return int((match | both_null).sum())


def _attack(targets: Frame, syn: Frame, aux: list[str], secret: str, numeric: bool, regression: bool,
            rng: np.random.Generator) -> int:
    index = nearest(targets.select(aux), syn.select(aux), 1, rng)[:, 0]
    return correct(syn.column(secret)[index], targets.column(secret), numeric, regression)


class Inference(Attack):
    name = "inference"

    def run(self, data: AttackData, options: AttackOptions, rng: np.random.Generator) -> list[AttackResult]:
        results = []
        for secret in options.secrets:
            if secret not in data.real.names:
                raise InputError(f"secret column {secret!r} is not in the tables "
                                 f"(columns: {', '.join(data.real.names)})", path=data.real.label, field=secret)
            aux = [c for c in data.real.names if c != secret]
            if not aux:
                raise InputError("inference needs at least one column besides the secret", field=secret)
            numeric = data.real.kind(secret) == NUM
            n_ori = min(options.n_attacks, data.real.rows)
            n_base = min(data.synthetic.rows, n_ori)
            base_targets = data.real.take(rng.choice(data.real.rows, size=n_base, replace=False))
            guesses = data.synthetic.column(secret)[rng.choice(data.synthetic.rows, size=n_base, replace=False)]
            n_baseline = correct(guesses, base_targets.column(secret), numeric, options.regression)
            targets = data.real.take(rng.choice(data.real.rows, size=n_ori, replace=False))
            n_success = _attack(targets, data.synthetic, aux, secret, numeric, options.regression, rng)
            n_control, n_ctl = None, None
            if data.control is not None:
                n_ctl = min(options.n_attacks, data.control.rows)
                controls = data.control.take(rng.choice(data.control.rows, size=n_ctl, replace=False))
                n_control = _attack(controls, data.synthetic, aux, secret, numeric, options.regression, rng)
            results.append(AttackResult.build(
                "inference", target=secret, n_attacks=n_ori, n_success=n_success, n_baseline=n_baseline,
                n_control=n_control, n_attacks_baseline=n_base, n_attacks_control=n_ctl,
                confidence=options.confidence, details={"aux_cols": aux, "regression": options.regression}))
        return results
