"""Mapping stored version rows to ``DatasetVersion`` values, and looking versions up by reference."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..models import DatasetVersion, FileDigest, ShardDigest
from ..store.tables import DatasetRow, VersionRow
from . import naming
from .tables import tables_from_json


def version_of(row: VersionRow) -> DatasetVersion:
    parent = None
    if row.parent_id is not None:
        parent_row = next((v for v in row.dataset.versions if v.id == row.parent_id), None)
        parent = f"{row.dataset.name}@{parent_row.version}" if parent_row else None
    return DatasetVersion(
        id=row.id, name=row.dataset.name, version=row.version, digest=row.digest,
        generator=row.generator, source=row.source, purpose=row.purpose, owner=row.owner,
        classification=row.classification, tags={t.key: t.value for t in row.tags}, parent=parent,
        created_at=row.created_at, created_by=row.created_by, rows=row.rows,
        tables=tables_from_json(row.tables),
        files=files_from_json(row.files), envelope=dict(row.envelope), tenant=row.dataset.tenant,
        locations=dict(row.locations or {}))


def find_version(session: Session, tenant: str, ref: str) -> VersionRow:
    """The row for ``name@N`` (or the newest version for a bare ``name``) in ``tenant``."""
    name, number = naming.parse_ref(ref)
    dataset = session.scalars(select(DatasetRow).where(
        DatasetRow.tenant == tenant, DatasetRow.name == name)).one_or_none()
    if dataset is None or not dataset.versions:
        raise NotFoundError(f"unknown dataset {name!r}", field="name")
    if number is None:
        return dataset.versions[-1]
    for row in dataset.versions:
        if row.version == number:
            return row
    raise NotFoundError(f"unknown version {ref!r} (latest is {name}@{dataset.versions[-1].version})",
                        field="version")


def find_by_digest(session: Session, tenant: str, root: str) -> list[VersionRow]:
    return list(session.scalars(select(VersionRow).join(DatasetRow).where(
        DatasetRow.tenant == tenant, VersionRow.digest == root)))


def files_to_json(files: tuple[FileDigest, ...]) -> list[dict[str, Any]]:
    return [{"path": f.path, "size": f.size, "sha256": f.sha256,
             "shards": [[s.offset, s.length, s.sha256] for s in f.shards]} for f in files]


def files_from_json(data: list[dict[str, Any]]) -> tuple[FileDigest, ...]:
    """Inverse of ``files_to_json``; raises KeyError / TypeError / ValueError on malformed input."""
    return tuple(FileDigest(str(f["path"]), int(f["size"]), str(f["sha256"]),
                            tuple(ShardDigest(int(o), int(n), str(h)) for o, n, h in f["shards"]))
                 for f in data)
