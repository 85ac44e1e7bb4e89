"""Streaming table writers (CSV, Parquet, JSON Lines) that appear atomically.

Rows go to a hidden temporary file next to the target; ``commit`` fsyncs and renames it into
place, ``abort`` deletes it. A process killed mid-write leaves only a ``.*.synthguard-tmp`` file,
never a partial output under the real name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomicfile import temporary_name
from ..errors import InputError

FORMATS = ("csv", "parquet", "jsonl")


def format_of(path: Path) -> str:
    name = path.name.lower()
    for fmt, suffixes in (("csv", (".csv", ".tsv")), ("parquet", (".parquet", ".pq")),
                          ("jsonl", (".jsonl", ".ndjson", ".json"))):
        if name.endswith(suffixes):
            return fmt
    raise InputError(f"cannot tell the output format from the name (use one of: {', '.join(FORMATS)})",
                     path=str(path))


ROW_GROUP_ROWS = 1 << 20
ROW_GROUP_BYTES = 128 << 20


class TableWriter:
    """Write record batches of one schema to ``target`` in ``fmt``; nothing is visible until commit."""

    def __init__(self, target: Path, schema: pa.Schema, fmt: str | None = None) -> None:
        self.target = target
        self.format = fmt or format_of(target)
        self.rows = 0
        self._tmp = temporary_name(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = self._tmp.open("wb")
        self._writer: Any = self._open(schema)
        self._pending: list[pa.RecordBatch] = []  # Parquet: batches waiting to become one row group
        self._pending_rows = self._pending_bytes = 0

    def _open(self, schema: pa.Schema) -> Any:
        if self.format == "parquet":
            return pq.ParquetWriter(self._file, schema)
        if self.format == "csv":
            return pacsv.CSVWriter(self._file, schema)
        if self.format == "jsonl":
            return None
        raise InputError(f"unknown output format {self.format!r}", path=str(self.target))

    def write(self, batch: pa.RecordBatch) -> None:
        if self.format == "jsonl":
            lines = (json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in batch.to_pylist())
            self._file.write("".join(lines).encode("utf-8"))
        elif self.format == "parquet":
            self._buffer(batch)
        elif batch.num_rows:
            self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def _buffer(self, batch: pa.RecordBatch) -> None:
        # Streams arrive in small batches; a row group per batch makes Parquet files ~20 % larger and
        # twice as slow to write (measured on 1 M rows in 64 k batches), so batches are gathered into
        # row groups of up to ROW_GROUP_ROWS rows / ROW_GROUP_BYTES bytes of Arrow memory.
        if batch.num_rows:
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
            self._pending_bytes += batch.nbytes
        if self._pending_rows >= ROW_GROUP_ROWS or self._pending_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.Table.from_batches(self._pending), row_group_size=ROW_GROUP_ROWS)
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def commit(self) -> Path:
        if self.format == "parquet":
            self._flush()
        if self._writer is not None:
            self._writer.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self.target)
        return self.target

    def abort(self) -> None:
        self._pending = []
        try:
            if self._writer is not None:
                self._writer.close()
        except (OSError, pa.ArrowException):
            pass  # already failing; removing the temporary file is what matters
        self._file.close()
        self._tmp.unlink(missing_ok=True)
