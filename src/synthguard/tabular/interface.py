"""The reader interface: a tabular file format read as a stream of Arrow record batches."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from ..errors import InputError
from ..models import Column, TableInfo


class Reader(ABC):
    """One file format. Implementations raise ``InputError`` naming the file, row and field."""

    format: str
    suffixes: tuple[str, ...]

    @abstractmethod
    def batches(self, path: Path, batch_rows: int = 65_536) -> Iterator[pa.RecordBatch]:
        """The file's rows in order, as record batches of at most about ``batch_rows`` rows."""

    def inspect(self, path: Path) -> TableInfo:
        """Schema and row count; the default reads every batch (so it also validates every row)."""
        return self.scan(path)

    def scan(self, path: Path, observe: BatchObserver | None = None, batch_rows: int = 1 << 20) -> TableInfo:
        """Schema and row count in the same pass that hands every batch to ``observe``, so a caller that
        needs both (register: describe and fingerprint) reads a CSV or JSON Lines file once."""
        rows = 0
        schema: pa.Schema | None = None
        for batch in self.batches(path, batch_rows):
            schema = schema or batch.schema
            rows += batch.num_rows
            if observe is not None:
                observe(batch)
        if schema is None:
            raise InputError("no columns found", path=str(path))
        return TableInfo(self.format, columns_of(schema), rows)


BatchObserver = Callable[[pa.RecordBatch], None]



def columns_of(schema: pa.Schema) -> tuple[Column, ...]:
    return tuple(Column(f.name, str(f.type)) for f in schema)


def require_nonempty(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from exc
    if size == 0:
        raise InputError("empty file", path=str(path))
