"""Watermark detector: rows of a released copy coming back, recognised by the recipient's marks even
though the marks changed the values (so the fingerprint detector no longer sees them).

A batch is read like a leaked fragment (``synthguard.watermark.trace``): when a release is named with a
bound on false attribution ≤ 1e-9, the batch holds that release's rows. Marks are then checked column
by column: a column whose marks were destroyed (rounded coarser than its policy expected) agrees half
the time and is ignored. If the marks of some column agree ≥ 90 % of the time, the batch is the copy and
every row is flagged. Otherwise the copy is mixed with other rows, and only rows with at least two marks
in the live columns, all agreeing with the release, are flagged: a row carries one or two marks, so this
catches only some of the copied rows (15–40 %, depending on how many marked columns survived) and
flags a few per cent of the others (unmodified copied rows are caught exactly by the fingerprint
detector anyway). A batch too small to carry enough marks is not
recognised; the other detectors still apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ...watermark import keys
from ...watermark.records import SchemeRecord, schemes_with_releases
from ...watermark.scheme import codewords
from ...watermark.trace import Candidate, Evaluation, evaluate, rank
from .interface import Detection, Detector, Match

if TYPE_CHECKING:
    from ...workspace import Workspace

WHOLE_BATCH_AGREEMENT = 0.9  # a column's marks agreeing this often: the batch is the copy
MIN_COLUMN_MARKS = 50  # ... provided the column has enough marks to say so
LIVE_COLUMN_AGREEMENT = 0.6  # below: the column's marks were destroyed (they agree half the time)
ROW_MARKS = 2


class WatermarkDetector(Detector):
    name = "watermark"

    def __init__(self, groups: Sequence[tuple[SchemeRecord, bytes]]) -> None:
        # Codewords depend only on the secret and the release ids: derive them once, not per batch.
        self.groups = tuple((record, secret, codewords(secret, [r.id for r in record.releases],
                                                        record.scheme.code_length)) for record, secret in groups)

    def detect(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes]) -> Detection:
        if batch.num_rows == 0:
            return Detection.none(0)
        table = pa.Table.from_batches([batch])
        evaluations = [evaluate(table, record, secret, words) for record, secret, words in self.groups]
        _, candidates = rank(evaluations)
        if not candidates or not candidates[0].named:
            return Detection.none(batch.num_rows)
        best = candidates[0]
        match = Match(self.name, f"marks of release {best.release.id} to {best.release.recipient}: {best.matches} of "
                                 f"{best.positions} codeword positions agree (false attribution ≤ {best.bound:.1e})",
                      best.release.released_as or best.release.dataset)
        return Detection.where(self._rows(batch.num_rows, best, evaluations), match)

    def _rows(self, rows: int, best: Candidate, evaluations: Sequence[Evaluation]) -> np.ndarray:
        for evaluation, (_, _, words) in zip(evaluations, self.groups, strict=True):
            votes = evaluation.votes
            if votes is None or best.release not in evaluation.record.releases:
                continue
            word = words[evaluation.record.releases.index(best.release)]
            agrees = votes.estimates.astype(np.uint8) == word[votes.positions]
            columns = len(votes.columns)
            marks = np.bincount(votes.column_of, minlength=columns)
            agreement = np.bincount(votes.column_of, weights=agrees, minlength=columns) / np.maximum(marks, 1)
            if np.any((agreement >= WHOLE_BATCH_AGREEMENT) & (marks >= MIN_COLUMN_MARKS)):
                return np.ones(rows, dtype=bool)
            live = (agreement >= LIVE_COLUMN_AGREEMENT)[votes.column_of]
            counted = np.bincount(votes.rows[live], minlength=rows) >= ROW_MARKS
            wrong = np.bincount(votes.rows[live & ~agrees], minlength=rows) > 0
            return counted & ~wrong
        return np.zeros(rows, dtype=bool)


def watermark_detectors(ws: Workspace) -> list[Detector]:
    """The detector for this tenant's releases (retired ones too: their copies are still synthetic), or
    nothing when there are no releases or no key to read them with."""
    records = schemes_with_releases(ws)
    if not records:
        return []
    available = keys.available_keys(ws.settings.keys_dir)
    groups = [(r, available[r.scheme.key_id].secret) for r in records if r.scheme.key_id in available]
    return [WatermarkDetector(groups)] if groups else []
