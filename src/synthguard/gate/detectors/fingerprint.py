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
            rows = np.flatnonzero(hits)
            if rows.size:
                # One key lookup and one (immutable, shared) Match per matched version, not per row.
                found, inverse = np.unique(positions[rows], return_inverse=True)
                reason = f"fp-v1 of {described} is registered"
                refs = [active.refs.get(active.index.key_of(p)) for p in found.tolist()]
                matched = {i: Match(self.name, reason, ref) for i, ref in enumerate(refs) if ref is not None}
                known = np.array([i in matched for i in range(found.size)])[inverse]
                hits[rows[~known]] = False  # a segment the store does not know (left by a failed register)
                matches.update(zip(rows[known].tolist(), [matched[i] for i in inverse[known].tolist()], strict=True))
            mask |= hits
        return Detection(mask, matches)
