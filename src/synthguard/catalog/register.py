"""Register a dataset version: read its tables, digest its files, fingerprint its rows (fp-v1),
sign an in-toto statement, and store the version, its fingerprint segments and its audit entry in
one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InputError
from ..fingerprint import sets
from ..fingerprint.fpv1 import ColumnSet
from ..fingerprint.sets import FingerprintRequest
from ..models import DatasetVersion, Manifest, TableInfo
from ..provenance import dsse, intoto
from ..store.tables import DatasetRow, TagRow, VersionRow
from . import digest, manifests, naming, tables, walk
from .records import files_to_json, version_of

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass(frozen=True)
class RegisterRequest:
    paths: tuple[Path, ...]
    name: str
    generator: str
    source: str
    purpose: str
    owner: str
    tags: dict[str, str] = field(default_factory=dict)
    classification: str = "synthetic"
    shard_size: int = manifests.DEFAULT_SHARD_SIZE
    fingerprints: FingerprintRequest | None = field(default_factory=FingerprintRequest)

    @classmethod
    def build(cls, paths: list[Path], *, name: str, generator: str, source: str, purpose: str,
              owner: str, tags: dict[str, str] | list[str] | None = None,
              classification: str = "synthetic", shard_size: int = manifests.DEFAULT_SHARD_SIZE,
              fingerprints: FingerprintRequest | None = None, fingerprint: bool = True) -> RegisterRequest:
        """Validate every argument before any file is read."""
        if not paths:
            raise InputError("no path given", field="PATH")
        for label, value in (("generator", generator), ("source", source), ("purpose", purpose),
                             ("owner", owner)):
            if not value or not value.strip():
                raise InputError(f"--{label} must not be empty", field=label)
        parsed_tags = naming.parse_tags(tags) if isinstance(tags, list) else dict(tags or {})
        return cls(tuple(paths), naming.check_name(name), generator, source, purpose, owner,
                   parsed_tags, naming.check_classification(classification), shard_size,
                   (fingerprints or FingerprintRequest()) if fingerprint else None)


@dataclass(frozen=True)
class RegisterResult:
    version: DatasetVersion
    created: bool  # False when the same content was already registered under this name


@dataclass(frozen=True)
class Prepared:
    """Everything a registration computes from the files, before any transaction."""

    manifest: Manifest
    tables: tuple[TableInfo, ...]
    fingerprints: dict[ColumnSet, npt.NDArray[np.uint64]]
    locations: dict[str, str]  # manifest path -> absolute path read


def prepare(request: RegisterRequest, progress: digest.ProgressCallback | None = None) -> Prepared:
    """Read (once), describe, fingerprint and digest the request's files."""
    files = [(Path(path), rel) for path, rel in walk.list_files(request.paths)]
    collector = sets.Collector(request.fingerprints) if request.fingerprints is not None else None
    described = tables.describe_tables(list(request.paths), files, collector)
    manifest = digest.digest_paths(list(request.paths), shard_size=request.shard_size, whole_file=True,
                                   progress=progress)
    locations = {rel: str(path.resolve()) for path, rel in files}
    return Prepared(manifest, described, collector.result() if collector is not None else {}, locations)


def register(ws: Workspace, request: RegisterRequest,
             progress: digest.ProgressCallback | None = None) -> RegisterResult:
    """Read, digest and fingerprint everything first; then one transaction stores the version, its
    fingerprint segments and its audit entry (a failed commit retires the segments it built)."""
    prepared = prepare(request, progress)
    built: list[tuple[str, str]] = []
    try:
        with ws.session() as session, session.begin():
            return store_in(ws, session, request, prepared, built)
    except BaseException as exc:
        discard_segments(ws, built)
        if isinstance(exc, IntegrityError):  # a concurrent register of the same name took the number
            raise InputError(f"dataset {request.name!r} changed concurrently; retry") from exc
        raise


def discard_segments(ws: Workspace, built: list[tuple[str, str]]) -> None:
    """Retire the fingerprint segments ``store_in`` built, after the transaction failed."""
    for version_id, set_id in built:
        sets.discard_segments(ws, version_id, [set_id])


def store_in(ws: Workspace, session: Session, request: RegisterRequest, prepared: Prepared,
             built: list[tuple[str, str]]) -> RegisterResult:
    """Store a prepared version, its fingerprint segments and its ``dataset.register`` audit entry in the
    caller's transaction (so a caller such as ``release`` can commit more in the same one). ``built``
    receives ``(version id, set id)`` of each segment file built: if the commit fails, the caller hands it
    to :func:`discard_segments`."""
    dataset = _dataset(ws, session, request.name)
    existing = session.scalars(select(VersionRow).where(
        VersionRow.dataset_id == dataset.id, VersionRow.digest == prepared.manifest.root)).one_or_none()
    row = existing or _new_version(ws, session, dataset, str(uuid.uuid4()), request, prepared)
    added = sets.add_segments(ws, session, row.id, prepared.fingerprints)
    built.extend((row.id, sid) for sid, _ in added)
    result = RegisterResult(version_of(row), created=existing is None)
    v = result.version
    ws.audit.append_in(session, [ws.draft("dataset.register", v.ref, digest=v.digest, details={
        "created": result.created, "rows": v.rows, "files": len(v.files), "key": ws.signer.key_id,
        "fingerprint_sets": [{"set": sid, "rows": n} for sid, n in added]})])
    return result


def _dataset(ws: Workspace, session: Session, name: str) -> DatasetRow:
    tenant = ws.settings.tenant
    dataset = session.scalars(select(DatasetRow).where(
        DatasetRow.tenant == tenant, DatasetRow.name == name)).one_or_none()
    if dataset is None:
        dataset = DatasetRow(tenant=tenant, name=name, created_at=datetime.now(UTC))
        session.add(dataset)
        session.flush()
    return dataset


def _new_version(ws: Workspace, session: Session, dataset: DatasetRow, version_id: str, request: RegisterRequest,
                 prepared: Prepared) -> VersionRow:
    manifest, described = prepared.manifest, prepared.tables
    now = datetime.now(UTC)
    latest = session.scalar(select(func.max(VersionRow.version)).where(VersionRow.dataset_id == dataset.id)) or 0
    parent = session.scalars(select(VersionRow).where(
        VersionRow.dataset_id == dataset.id, VersionRow.version == latest)).one_or_none()
    number = latest + 1
    rows = sum(t.rows for t in described)
    predicate = {
        "name": request.name, "version": number, "generator": request.generator,
        "source": request.source, "purpose": request.purpose, "owner": request.owner,
        "classification": request.classification, "tags": request.tags,
        "parent": f"{request.name}@{latest}" if parent else None,
        "manifest": {"root": manifest.root, "shardSize": request.shard_size},
        "rows": rows, "tables": tables.tables_to_json(described),
        "createdAt": now.isoformat(), "createdBy": ws.settings.actor, "tenant": ws.settings.tenant,
    }
    envelope = dsse.sign(intoto.encode(intoto.statement(manifest.files, predicate)), ws.signer)
    row = VersionRow(
        id=version_id, dataset_id=dataset.id, version=number, digest=manifest.root,
        generator=request.generator, source=request.source, purpose=request.purpose,
        owner=request.owner, classification=request.classification,
        parent_id=parent.id if parent else None, created_at=now, created_by=ws.settings.actor,
        rows=rows, tables=predicate["tables"], files=files_to_json(manifest.files), envelope=envelope,
        locations=prepared.locations)
    row.dataset = dataset
    row.tags = [TagRow(key=k, value=v) for k, v in request.tags.items()]
    session.add(row)
    session.flush()
    return row
