"""The detector interface: look at a batch of rows and say which are synthetic, and why.

A detector returns a ``Detection``: a boolean mask over the batch's rows and, for each matched
row, a ``Match`` naming the detector, the dataset version it points to (when known) and a
human reason. Adding a way to recognise synthetic data is adding one module to this package and
one line to ``registry.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Match:
    detector: str
    reason: str
    version: str | None = None  # "name@N" when the detector knows which version the row came from


@dataclass(frozen=True)
class Detection:
    """``mask[i]`` is True when row i matched; ``matches`` maps those row indexes to why."""

    mask: np.ndarray
    matches: dict[int, Match]

    @classmethod
    def none(cls, rows: int) -> Detection:
        return cls(np.zeros(rows, dtype=bool), {})

    @classmethod
    def where(cls, mask: np.ndarray, match: Match) -> Detection:
        """Every row in ``mask`` matched for the same reason."""
        return cls(mask, dict.fromkeys(np.flatnonzero(mask).tolist(), match))


class Detector(ABC):
    name: str

    @abstractmethod
    def detect(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes]) -> Detection:
        """Rows of ``batch`` that are synthetic. ``schema_metadata`` is the source file's
        key-value metadata (Parquet / Arrow), which the batch itself may not carry."""
