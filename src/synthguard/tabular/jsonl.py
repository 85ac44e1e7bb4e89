"""JSON Lines reader (one JSON object per line) on pyarrow's streaming JSON parser."""

from __future__ import annotations

import re
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
            raise _located_error(path, str(exc)) from exc


def _located_error(path: Path, message: str) -> InputError:
    """pyarrow counts rows from 0 within a block; name the field and say "line N" only when sure."""
    first_line = message.strip().splitlines()[0]
    column = _COLUMN.search(first_line)
    field = column.group(1).lstrip("/") if column else None
    row = _ROW.search(first_line)
    detail = _ROW.sub("", first_line).strip()
    if row is not None and "changed from" in first_line:
        detail += f" (at record {int(row.group(1)) + 1} of its block)"
    return InputError(f"invalid JSON Lines: {detail}", path=str(path), field=field)


_COLUMN = re.compile(r"Column\(([^)]*)\)")
_ROW = re.compile(r"\s*in row (\d+)")
