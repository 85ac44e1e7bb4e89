"""Tag detector: a file whose Parquet / Arrow key-value metadata says it is synthetic.

``synthguard stamp`` writes these keys; a stamped copy coming back is recognised whole.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .interface import Detection, Detector, Match

SYNTHETIC_KEY = b"synthguard.synthetic"
DATASET_KEY = b"synthguard.dataset"
DIGEST_KEY = b"synthguard.digest"


def stamp_metadata(ref: str | None, digest: str | None) -> dict[bytes, bytes]:
    """The key-value metadata ``stamp`` writes (and this detector reads)."""
    metadata = {SYNTHETIC_KEY: b"true"}
    if ref:
        metadata[DATASET_KEY] = ref.encode("utf-8")
    if digest:
        metadata[DIGEST_KEY] = digest.encode("utf-8")
    return metadata


class MetadataTagDetector(Detector):
    name = "metadata-tag"

    def detect(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes]) -> Detection:
        metadata = {**schema_metadata, **(batch.schema.metadata or {})}
        if metadata.get(SYNTHETIC_KEY, b"").lower() not in (b"true", b"1", b"yes"):
            return Detection.none(batch.num_rows)
        ref = metadata.get(DATASET_KEY, b"").decode("utf-8", "replace") or None
        match = Match(self.name, f"file metadata {SYNTHETIC_KEY.decode()}=true", ref)
        return Detection.where(np.ones(batch.num_rows, dtype=bool), match)
