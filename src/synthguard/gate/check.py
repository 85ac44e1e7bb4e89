"""The gate's core: run every detector over a batch and combine their answers.

``Gate.check`` takes what pipelines hold — a pyarrow Table or RecordBatch, a pandas or polars
DataFrame — and returns a ``GateResult``: which rows are synthetic, and for each one the first
detector (in the gate's order) that recognised it and the dataset version it names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import InputError
from .detectors.interface import Detection, Detector, Match


@dataclass(frozen=True)
class GateResult:
    """``mask[i]`` is True when row i is synthetic; ``matches[i]`` says why."""

    mask: np.ndarray
    matches: dict[int, Match]

    @property
    def rows(self) -> int:
        return int(self.mask.size)

    @property
    def synthetic(self) -> int:
        return int(self.mask.sum())

    def reasons(self) -> list[str | None]:
        """One entry per row: ``"detector: reason [name@N]"`` or None for a clean row."""
        out: list[str | None] = [None] * self.rows
        for row, match in self.matches.items():
            out[row] = f"{match.detector}: {match.reason}" + (f" [{match.version}]" if match.version else "")
        return out

    def by_detector(self) -> Counter[str]:
        return Counter(m.detector for m in self.matches.values())

    def versions(self) -> Counter[str]:
        return Counter(m.version for m in self.matches.values() if m.version)


class Gate:
    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = tuple(detectors)

    def check_batch(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes] | None = None) -> GateResult:
        metadata = schema_metadata or {}
        mask = np.zeros(batch.num_rows, dtype=bool)
        matches: dict[int, Match] = {}
        for detector in self.detectors:
            found: Detection = detector.detect(batch, metadata)
            new = found.mask & ~mask
            if new.any():
                matches.update({row: found.matches[row] for row in np.flatnonzero(new).tolist()})
                mask |= new
        return GateResult(mask, matches)

    def check(self, data: Any) -> GateResult:
        """Check a pyarrow Table / RecordBatch, or a pandas / polars DataFrame, in one go."""
        table = as_arrow(data)
        metadata = dict(table.schema.metadata or {})
        results = [self.check_batch(b, metadata) for b in _batches(table)]
        return concat_results(results)


def _batches(table: pa.Table | pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    if isinstance(table, pa.RecordBatch):
        yield table
        return
    yield from table.combine_chunks().to_batches(max_chunksize=1 << 20) or [
        pa.RecordBatch.from_pylist([], schema=table.schema)]


def concat_results(results: Sequence[GateResult]) -> GateResult:
    if not results:
        return GateResult(np.zeros(0, dtype=bool), {})
    offsets = np.cumsum([0] + [r.rows for r in results[:-1]])
    matches = {int(offset) + row: m for offset, r in zip(offsets, results, strict=True)
               for row, m in r.matches.items()}
    return GateResult(np.concatenate([r.mask for r in results]), matches)


def as_arrow(data: Any) -> pa.Table | pa.RecordBatch:
    """pyarrow passes through; pandas and polars convert (without importing either up front)."""
    if isinstance(data, pa.Table | pa.RecordBatch):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()
    raise InputError(f"cannot check a {type(data).__name__}: pass a pyarrow Table / RecordBatch or a "
                     "pandas / polars DataFrame")
