"""List and show registered dataset versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..models import DatasetVersion
from ..store.tables import DatasetRow, TagRow, VersionRow
from .records import find_version, version_of
from .tables import tables_to_json

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass(frozen=True)
class Filters:
    tags: dict[str, str]
    generator: str | None = None
    owner: str | None = None
    name: str | None = None


def list_versions(ws: Workspace, filters: Filters) -> list[DatasetVersion]:
    """Every version matching all filters (generator matches as a substring), oldest first."""
    query = select(VersionRow).join(DatasetRow).where(DatasetRow.tenant == ws.settings.tenant)
    if filters.generator:
        query = query.where(VersionRow.generator.contains(filters.generator))
    if filters.owner:
        query = query.where(VersionRow.owner == filters.owner)
    if filters.name:
        query = query.where(DatasetRow.name == filters.name)
    for key, value in filters.tags.items():
        query = query.where(VersionRow.tags.any((TagRow.key == key) & (TagRow.value == value)))
    with ws.session() as session:
        rows = session.scalars(query.order_by(DatasetRow.name, VersionRow.version)).all()
        return [version_of(r) for r in rows]


def lineage_chain(ws: Workspace, ref: str) -> list[DatasetVersion]:
    """The version named by ``ref`` followed by its ancestors (parent, grandparent, …)."""
    with ws.session() as session:
        row = find_version(session, ws.settings.tenant, ref)
        by_id = {v.id: v for v in row.dataset.versions}
        chain = [row]
        while chain[-1].parent_id is not None and chain[-1].parent_id in by_id:
            chain.append(by_id[chain[-1].parent_id])
        return [version_of(r) for r in chain]


def summary(v: DatasetVersion) -> dict[str, object]:
    """The JSON shape of a version in listings (CLI ``ls``, HTTP ``/v1/datasets``)."""
    return {"ref": v.ref, "id": v.id, "digest": v.digest, "rows": v.rows, "generator": v.generator,
            "owner": v.owner, "created_at": v.created_at.isoformat(), "tags": v.tags}


def detail(v: DatasetVersion) -> dict[str, object]:
    return summary(v) | {
        "source": v.source, "purpose": v.purpose, "classification": v.classification, "parent": v.parent,
        "created_by": v.created_by, "tables": tables_to_json(v.tables),
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in v.files]}
