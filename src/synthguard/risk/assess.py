"""Measuring re-identification risk: read the tables, run the attacks and the distance metrics, report.

``assess`` needs no workspace; ``risk.records.assess_and_store`` runs it for a workspace, signs and stores
the report with the dataset version and audits it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .attacks import ATTACKS, AttackData, AttackOptions
from .data import Frame, encode, read_table
from .dcr import distance_metrics
from .report import RiskReport, attack_json, distances_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskOptions:
    """What to run: ``attacks`` (names in ``ATTACKS``; inference runs only with secrets), the distance
    metrics, and the attack parameters; ``seed`` makes a run repeatable."""

    attack: AttackOptions = field(default_factory=AttackOptions)
    attacks: tuple[str, ...] = ("singling_out", "linkability", "inference")
    distances: bool = True
    seed: int | None = None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def load(real: Path, synthetic: Path, control: Path | None) -> AttackData:
    """Read and jointly encode the tables (schemas must agree; see ``data.encode``)."""
    named = [(str(real), read_table(real)), (str(synthetic), read_table(synthetic))]
    if control is not None:
        named.append((str(control), read_table(control)))
    frames = encode(named)
    return AttackData(frames[0], frames[1], frames[2] if control is not None else None)


def validate(data: AttackData, options: RiskOptions) -> None:
    """Refuse unusable requests before any long computation."""
    unknown = [a for a in options.attacks if a not in ATTACKS]
    if unknown:
        raise InputError(f"unknown attack(s) {', '.join(unknown)} (known: {', '.join(ATTACKS)})", field="attacks")
    a = options.attack
    if a.n_attacks < 1:
        raise InputError("--n-attacks must be at least 1", field="n-attacks")
    for secret in a.secrets:
        if secret not in data.real.names:
            raise InputError(f"secret column {secret!r} is not in the tables (columns: "
                             f"{', '.join(data.real.names)})", path=data.real.label, field=secret)
    for frame in (data.real, data.synthetic, data.control):
        if frame is not None and frame.rows < 2:
            raise InputError(f"too few rows ({frame.rows}); the attacks need at least 2", path=frame.label)
    if "linkability" in options.attacks:
        for frame in (data.real, data.control):
            if frame is not None and frame.rows < a.n_attacks:
                raise InputError(f"too few rows ({frame.rows}) for {a.n_attacks} linkability attacks; "
                                 f"lower --n-attacks", path=frame.label)


def assess(real: Path, synthetic: Path, control: Path | None = None, options: RiskOptions | None = None,
           *, version: str | None = None) -> RiskReport:
    """Measure the risk that ``synthetic`` re-identifies records of ``real`` (``control``: real records
    held out of training, which turns attack success into excess risk)."""
    options = options or RiskOptions()
    start = time.perf_counter()
    data = load(real, synthetic, control)
    validate(data, options)
    rng = np.random.default_rng(options.seed)
    results = []
    for name in options.attacks:
        if name == "inference" and not options.attack.secrets:
            continue
        t = time.perf_counter()
        results.extend(ATTACKS[name].run(data, options.attack, rng))
        logger.info("risk: %s took %.2f s", name, time.perf_counter() - t)
    distances = None
    if options.distances:
        distances = distances_json(distance_metrics(data.synthetic, data.real, data.control))
    inputs = {role: _describe(path, frame) for role, path, frame in
              (("real", real, data.real), ("synthetic", synthetic, data.synthetic), ("control", control, data.control))
              if path is not None and frame is not None}
    opts: dict[str, Any] = asdict(options.attack) | {"attacks": list(options.attacks), "seed": options.seed,
                                                     "distances": options.distances}
    return RiskReport(created_at=datetime.now(UTC).isoformat(), inputs=inputs, options=opts,
                      attacks=tuple(attack_json(r) for r in results), distances=distances,
                      seconds=time.perf_counter() - start, version=version)


def _describe(path: Path, frame: Frame) -> dict[str, Any]:
    return {"path": str(path), "rows": frame.rows, "columns": list(frame.names), "sha256": file_sha256(path)}
