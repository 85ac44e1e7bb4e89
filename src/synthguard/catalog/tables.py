"""What a dataset's table files say: schema and row count per file, unified for the version."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..models import Column, TableInfo
from ..tabular import find_reader, reader_for


def table_files(paths: list[Path], files: list[Path]) -> list[Path]:
    """Files to read as tables: every given file (unknown formats are an error) and known
    formats inside given directories (other files there, like ``_SUCCESS``, are digested only)."""
    explicit = {p.resolve() for p in paths if p.is_file()}
    chosen = []
    for f in files:
        if f.resolve() in explicit:
            reader_for(f)
            chosen.append(f)
        elif find_reader(f) is not None:
            chosen.append(f)
    if not chosen:
        raise InputError("no table files found (CSV, Parquet or JSON Lines)", path=str(paths[0]))
    return chosen


def inspect_all(files: list[Path]) -> tuple[tuple[Column, ...], int]:
    """The shared schema and the total row count; files whose columns differ are an error."""
    infos: list[tuple[Path, TableInfo]] = [(f, reader_for(f).inspect(f)) for f in files]
    first_path, first = infos[0]
    names = [c.name for c in first.columns]
    for path, info in infos[1:]:
        other = [c.name for c in info.columns]
        if other != names:
            missing = sorted(set(names) - set(other)) or sorted(set(other) - set(names))
            raise InputError(f"columns differ from {first_path.name} ({', '.join(missing) or 'order'})",
                             path=str(path))
    return first.columns, sum(info.rows for _, info in infos)
