"""SIEM exporters for the audit log, by name: ``jsonl``, ``cef`` and ``ocsf``."""

from __future__ import annotations

from ...errors import InputError
from .cef import CefExporter
from .interface import Exporter
from .jsonl import JsonlExporter
from .ocsf import OcsfExporter

EXPORTERS: dict[str, type[Exporter]] = {
    exporter.name: exporter for exporter in (JsonlExporter, CefExporter, OcsfExporter)
}


def get_exporter(name: str) -> Exporter:
    """A ready exporter for the format ``name``; raises ``InputError`` naming the choices otherwise."""
    exporter = EXPORTERS.get(name.strip().lower())
    if exporter is None:
        choices = ", ".join(sorted(EXPORTERS))
        raise InputError(f"unknown export format {name!r} (choose one of: {choices})", field="format")
    return exporter()


__all__ = ["EXPORTERS", "CefExporter", "Exporter", "JsonlExporter", "OcsfExporter", "get_exporter"]
