"""What a dataset's table files say: format, schema and row count of each.

A dataset version may hold several tables (customers.csv and orders.parquet, or a directory of
Parquet parts); each is read and described on its own.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..models import Column, TableInfo
from ..tabular import find_reader, reader_for


def describe_tables(paths: list[Path], files: list[tuple[Path, str]]) -> tuple[TableInfo, ...]:
    """Read every table file among ``files`` (``(path to open, manifest path)``).

    Every file named directly must be a known format; inside directories, other files (a
    ``_SUCCESS`` marker, a README) are digested but not read. No table at all is an error.
    """
    explicit = {p.resolve() for p in paths if p.is_file()}
    tables = []
    for path, rel in files:
        reader = reader_for(path) if path.resolve() in explicit else find_reader(path)
        if reader is not None:
            tables.append(replace(reader.inspect(path), path=rel))
    if not tables:
        raise InputError("no table files found (CSV, Parquet or JSON Lines)", path=str(paths[0]))
    return tuple(tables)


def tables_to_json(tables: tuple[TableInfo, ...]) -> list[dict[str, Any]]:
    return [{"path": t.path, "format": t.format, "rows": t.rows,
             "columns": [{"name": c.name, "type": c.type} for c in t.columns]} for t in tables]


def tables_from_json(data: list[dict[str, Any]]) -> tuple[TableInfo, ...]:
    return tuple(TableInfo(str(t["format"]), tuple(Column(c["name"], c["type"]) for c in t["columns"]),
                           int(t["rows"]), str(t["path"])) for t in data)
