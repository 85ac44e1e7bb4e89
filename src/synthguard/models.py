"""Domain value types shared by the catalogue, provenance, audit and CLI layers.

They are plain frozen dataclasses: the store maps them to tables, exporters read them, nothing
here talks to a database or the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ShardDigest:
    """SHA-256 of one byte range of a file (shards are at most 1 GiB)."""

    offset: int
    length: int
    sha256: str


@dataclass(frozen=True)
class FileDigest:
    """One file of a dataset: its path relative to the dataset root (POSIX), size and digests."""

    path: str
    size: int
    sha256: str
    shards: tuple[ShardDigest, ...]


@dataclass(frozen=True)
class Manifest:
    """The sharded manifest of a dataset; ``root`` is ``sha256:<hex>`` over the canonical manifest."""

    files: tuple[FileDigest, ...]
    root: str


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class TableInfo:
    """What a tabular reader learnt about one file: format, schema and row count.

    ``path`` is the file's manifest path once it belongs to a dataset version ("" before).
    """

    format: str
    columns: tuple[Column, ...]
    rows: int
    path: str = ""


@dataclass(frozen=True)
class DatasetVersion:
    """One registered version ``name@version`` of a synthetic dataset."""

    id: str
    name: str
    version: int
    digest: str
    generator: str
    source: str
    purpose: str
    owner: str
    classification: str
    tags: dict[str, str]
    parent: str | None
    created_at: datetime
    created_by: str
    rows: int
    tables: tuple[TableInfo, ...]
    files: tuple[FileDigest, ...]
    envelope: dict[str, Any] = field(default_factory=dict)
    tenant: str = "default"
    locations: dict[str, str] = field(default_factory=dict)
    """Manifest path -> where the file was registered from, on the registering machine (may have moved)."""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the audit log (DESIGN.md: one event shape for everything)."""

    seq: int
    time: datetime
    actor: str
    tenant: str
    action: str
    object: str
    outcome: str
    digest: str
    details: dict[str, Any]
