"""Scan output writers by name: ``table``, ``json``, ``sarif`` and ``junit``."""

from __future__ import annotations

from ...errors import InputError
from .interface import OutputWriter
from .json import JsonWriter
from .junit import JunitWriter
from .sarif import SarifWriter
from .table import TableWriter

WRITERS: dict[str, type[OutputWriter]] = {w.name: w for w in (TableWriter, JsonWriter, SarifWriter, JunitWriter)}


def get_writer(name: str) -> OutputWriter:
    """A writer for ``name`` (``text`` means ``table``); raises ``InputError`` naming the choices otherwise."""
    key = name.strip().lower()
    writer = WRITERS.get("table" if key == "text" else key)
    if writer is None:
        raise InputError(f"unknown output format {name!r} (choose one of: {', '.join(sorted(WRITERS))})",
                         field="format")
    return writer()


__all__ = ["WRITERS", "JsonWriter", "JunitWriter", "OutputWriter", "SarifWriter", "TableWriter", "get_writer"]
