"""Stamp a copy of a table as synthetic: Parquet key-value metadata and, optionally, a marker
column, so downstream tools (and the gate's tag detectors) see what it is."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..errors import InputError
from ..tabular import reader_for
from ..tabular.writers import TableWriter, format_of
from .detectors.metadata import stamp_metadata


def stamp(source: Path, out: Path, *, ref: str | None = None, digest: str | None = None,
          marker_column: str | None = None) -> int:
    """Write ``out`` (format from its name); returns the number of rows. CSV and JSON Lines carry no
    file metadata, so for them a marker column is required."""
    if format_of(out) != "parquet" and marker_column is None:
        raise InputError("CSV and JSON Lines cannot carry file metadata: add --marker-column", path=str(out))
    metadata = stamp_metadata(ref, digest)
    writer: TableWriter | None = None
    try:
        for batch in reader_for(source).batches(source):
            if marker_column is not None:
                if marker_column in batch.schema.names:
                    raise InputError(f"column {marker_column!r} already exists", path=str(source),
                                     field=marker_column)
                batch = batch.append_column(marker_column, pa.array([True] * batch.num_rows, pa.bool_()))
            batch = batch.replace_schema_metadata({**(batch.schema.metadata or {}), **metadata})
            writer = writer or TableWriter(out, batch.schema)
            writer.write(batch)
        if writer is None:
            raise InputError("no rows to stamp", path=str(source))
        writer.commit()
        return writer.rows
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
