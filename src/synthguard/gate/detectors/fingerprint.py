"""Fingerprint detector: rows whose fp-v1 fingerprint is in the index of a registered version.

Each indexed column set whose columns are all present in the batch is checked (column order and
integer / float widths do not matter: fp-v1 canonicalises them); the first set that matches a row
names the version.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ...fingerprint.fpv1 import fingerprint
from ...fingerprint.sets import ActiveSet
from .interface import Detection, Detector, Match


class FingerprintDetector(Detector):
    name = "fingerprint"

    def __init__(self, sets: Sequence[ActiveSet]) -> None:
        self.sets = tuple(sets)

    def detect(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes]) -> Detection:
        mask = np.zeros(batch.num_rows, dtype=bool)
        matches: dict[int, Match] = {}
        names = set(batch.schema.names)
        for active in self.sets:
            if not set(active.column_set.columns) <= names:
                continue
            positions = active.index.probe(fingerprint(batch, active.column_set))
            hits = (positions >= 0) & ~mask
            described = "row" if len(active.column_set.columns) == len(names) else "+".join(active.column_set.columns)
            for row in np.flatnonzero(hits).tolist():
                key = active.index.key_of(int(positions[row]))
                ref = active.refs.get(key)
                if ref is None:  # a segment the store does not know (left by a failed register)
                    hits[row] = False
                    continue
                matches[row] = Match(self.name, f"fp-v1 of {described} is registered", ref)
            mask |= hits
        return Detection(mask, matches)
