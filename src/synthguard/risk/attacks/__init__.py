"""The privacy attacks, by name; ``ATTACKS`` is the one place they are registered."""

from __future__ import annotations

from .inference import Inference
from .interface import Attack, AttackData, AttackOptions, AttackResult
from .linkability import Linkability
from .singling_out import SinglingOut

ATTACKS: dict[str, Attack] = {a.name: a for a in (SinglingOut(), Linkability(), Inference())}

__all__ = ["ATTACKS", "Attack", "AttackData", "AttackOptions", "AttackResult"]
