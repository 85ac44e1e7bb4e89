"""Tabular readers: each file format yields Arrow record batches; ``reader_for`` picks one by suffix."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .csv import CsvReader
from .interface import Reader
from .jsonl import JsonLinesReader
from .parquet import ParquetReader

READERS: tuple[Reader, ...] = (CsvReader(), ParquetReader(), JsonLinesReader())


def find_reader(path: Path) -> Reader | None:
    """The reader for ``path``'s suffix, or ``None`` when the file is not a known table format."""
    name = path.name.lower()
    return next((r for r in READERS if name.endswith(r.suffixes)), None)


def reader_for(path: Path) -> Reader:
    reader = find_reader(path)
    if reader is None:
        known = ", ".join(s for r in READERS for s in r.suffixes)
        raise InputError(f"unknown table format (known: {known})", path=str(path))
    return reader


__all__ = ["READERS", "Reader", "find_reader", "reader_for"]
