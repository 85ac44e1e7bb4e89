"""CSV reader (UTF-8, header row) built on pyarrow's streaming CSV parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError
from .interface import Reader, require_nonempty

_LOCATION = re.compile(r"column #(\d+): Row #(\d+)", re.IGNORECASE)


class CsvReader(Reader):
    format = "csv"
    suffixes = (".csv", ".csv.gz", ".tsv")

    def batches(self, path: Path, batch_rows: int = 65_536) -> Iterator[pa.RecordBatch]:
        require_nonempty(path)
        delimiter = "\t" if path.name.endswith(".tsv") else ","
        try:
            # An empty field is a null, as CSV writers (pyarrow, pandas, Spark) write nulls; this keeps
            # a table's fingerprints the same whether it travelled as CSV, Parquet or JSON Lines.
            reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 22),
                                    parse_options=pacsv.ParseOptions(delimiter=delimiter),
                                    convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
            names = reader.schema.names
            rows_before = 0
            for batch in reader:
                _reject_invalid_utf8(path, batch, rows_before)
                rows_before += batch.num_rows
                yield batch
            if rows_before == 0:  # header only: still say what the columns are
                yield pa.RecordBatch.from_pylist([], schema=reader.schema)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise _located_error(path, str(exc), locals().get("names")) from exc


def _located_error(path: Path, message: str, names: list[str] | None) -> InputError:
    first_line = message.strip().splitlines()[0]
    match = _LOCATION.search(first_line)
    if match is None:
        return InputError(first_line, path=str(path))
    column, row = int(match.group(1)), int(match.group(2))
    field = names[column] if names and column < len(names) else f"#{column}"
    detail = first_line.split(": ")[-1] if "invalid UTF8" not in first_line else "not valid UTF-8"
    return InputError(detail, path=str(path), row=row, field=field)


def _reject_invalid_utf8(path: Path, batch: pa.RecordBatch, rows_before: int) -> None:
    """pyarrow infers ``binary`` for text that is not UTF-8; name the first such cell instead."""
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if not pa.types.is_binary(column.type):
            continue
        for index, value in enumerate(column.to_pylist()):
            try:
                if value is not None:
                    value.decode("utf-8")
            except UnicodeDecodeError as exc:
                # +2: rows are 1-based and the header is line 1
                raise InputError("not valid UTF-8 (convert the file to UTF-8)", path=str(path),
                                 row=rows_before + index + 2, field=name) from exc
