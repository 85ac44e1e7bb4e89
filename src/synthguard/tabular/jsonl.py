"""JSON Lines reader (one JSON object per line) on pyarrow's streaming JSON parser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pajson

from ..errors import InputError
from .interface import Reader, require_nonempty


class JsonLinesReader(Reader):
    format = "jsonl"
    suffixes = (".jsonl", ".ndjson", ".json")

    def batches(self, path: Path, batch_rows: int = 65_536) -> Iterator[pa.RecordBatch]:
        require_nonempty(path)
        try:
            yield from pajson.open_json(path, read_options=pajson.ReadOptions(block_size=1 << 22))
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise InputError(f"invalid JSON Lines: {first_line}", path=str(path)) from exc
