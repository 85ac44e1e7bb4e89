"""Fingerprint detector: rows whose fp-v1 fingerprint is in the index of a registered version.

Each indexed column set whose columns are all present in the batch is checked (column order and
integer / float widths do not matter: fp-v1 canonicalises them); the first set that matches a row
names the version.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ...errors import InputError
from ...fingerprint.fpv1 import fingerprint
from ...fingerprint.sets import ActiveSet
from .interface import Detection, Detector, Match


class FingerprintDetector(Detector):
    name = "fingerprint"

    def __init__(self, sets: Sequence[ActiveSet], *, strict: bool = False) -> None:
        """``strict``: input lacking a set's columns is an error (the caller named the sets to check)
        rather than a set that does not apply."""
        self.sets = tuple(sets)
        self.strict = strict

    def detect(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes]) -> Detection:
        mask = np.zeros(batch.num_rows, dtype=bool)
        matches: dict[int, Match] = {}
        names = set(batch.schema.names)
        for active in self.sets:
            missing = [c for c in active.column_set.columns if c not in names]
            if missing and self.strict:
                raise InputError(f"fingerprinted column(s) missing: {', '.join(missing)} "
                                 f"(the input has: {', '.join(batch.schema.names)})", field=missing[0])
            if missing:
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
