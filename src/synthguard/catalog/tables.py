"""What a dataset's table files say: format, schema and row count of each.

A dataset version may hold several tables (customers.csv and orders.parquet, or a directory of
Parquet parts); each is read and described on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..models import Column, TableInfo
from ..tabular import find_reader, reader_for

TableObserver = Callable[[str, pa.RecordBatch], None]
"""Called with a table's manifest path and each of its record batches."""


def describe_tables(paths: list[Path], files: list[tuple[Path, str]],
                    observe: TableObserver | None = None) -> tuple[TableInfo, ...]:
    """Read every table file among ``files`` (``(path to open, manifest path)``).

    Every file named directly must be a known format; inside directories, other files (a
    ``_SUCCESS`` marker, a README) are digested but not read. No table at all is an error.
    With ``observe``, every batch of every table is handed to it (with the table's manifest path) in
    the same pass that describes the table, instead of a second read.
    """
    explicit = {p.resolve() for p in paths if p.is_file()}
    tables = []
    for path, rel in files:
        reader = reader_for(path) if path.resolve() in explicit else find_reader(path)
        if reader is None:
            continue
        info = reader.inspect(path) if observe is None else reader.scan(path, partial(observe, rel))
        tables.append(replace(info, path=rel))
    if not tables:
        raise InputError("no table files found (CSV, Parquet or JSON Lines)", path=str(paths[0]))
    return tuple(tables)


def tables_to_json(tables: tuple[TableInfo, ...]) -> list[dict[str, Any]]:
    return [{"path": t.path, "format": t.format, "rows": t.rows,
             "columns": [{"name": c.name, "type": c.type} for c in t.columns]} for t in tables]


def tables_from_json(data: list[dict[str, Any]]) -> tuple[TableInfo, ...]:
    return tuple(TableInfo(str(t["format"]), tuple(Column(c["name"], c["type"]) for c in t["columns"]),
                           int(t["rows"]), str(t["path"])) for t in data)
