"""Row fingerprints: fp-v1 (DESIGN.md), the row hash shared by the gate, the fingerprint index and Spark."""

from __future__ import annotations

from .fpv1 import MAX_COLUMNS, NORMALISERS, SEED, ColumnSet, fingerprint

__all__ = ["MAX_COLUMNS", "NORMALISERS", "SEED", "ColumnSet", "fingerprint"]
