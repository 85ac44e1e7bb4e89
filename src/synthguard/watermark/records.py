"""Release records: the ``releases`` and ``watermark_schemes`` tables as ``Release`` values, tenant-scoped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog import naming
from ..errors import InputError, NotFoundError
from ..store.tables import DatasetRow, ReleaseRow, VersionRow, WatermarkSchemeRow
from .profile import ColumnProfile
from .scheme import Scheme

if TYPE_CHECKING:
    from ..workspace import Workspace

ACTIVE = "active"
RETIRED = "retired"


@dataclass(frozen=True)
class Release:
    id: str
    tenant: str
    dataset: str  # NAME@N of the version that was released
    released_as: str | None  # NAME@N under which the watermarked copy is registered
    recipient: str
    purpose: str
    expires: datetime | None
    created_at: datetime
    created_by: str
    out_path: str
    digest: str  # sha256:<hex> of the released file
    watermark: dict[str, Any]
    utility: dict[str, Any]
    status: str
    retired_at: datetime | None = None

    @property
    def key_id(self) -> str:
        return str(self.watermark.get("key_id", ""))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "tenant": self.tenant, "dataset": self.dataset, "released_as": self.released_as,
                "recipient": self.recipient, "purpose": self.purpose,
                "expires": self.expires.isoformat() if self.expires else None,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by, "out": self.out_path,
                "digest": self.digest, "watermark": self.watermark, "utility": self.utility, "status": self.status,
                "retired_at": self.retired_at.isoformat() if self.retired_at else None}


def _ref(row: VersionRow | None) -> str | None:
    return f"{row.dataset.name}@{row.version}" if row is not None else None


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def release_of(session: Session, row: ReleaseRow) -> Release:
    source = session.get(VersionRow, row.version_id)
    released = session.get(VersionRow, row.released_version_id) if row.released_version_id else None
    return Release(row.id, row.tenant, _ref(source) or row.version_id, _ref(released), row.recipient, row.purpose,
                   _utc(row.expires), _utc(row.created_at) or row.created_at, row.created_by, row.out_path,
                   row.digest, dict(row.watermark), dict(row.utility), row.status, _utc(row.retired_at))


def list_releases(ws: Workspace, name: str | None = None, *, status: str | None = None) -> list[Release]:
    """This tenant's releases (of dataset ``name`` when given), oldest first."""
    query = select(ReleaseRow).where(ReleaseRow.tenant == ws.settings.tenant)
    if name is not None:
        naming.check_name(name)
        query = query.join(VersionRow, VersionRow.id == ReleaseRow.version_id).join(DatasetRow).where(
            DatasetRow.name == name)
    if status is not None:
        if status not in (ACTIVE, RETIRED):
            raise InputError(f"unknown status {status!r}: {ACTIVE} or {RETIRED}", field="status")
        query = query.where(ReleaseRow.status == status)
    with ws.session() as session:
        if name is not None and session.scalars(select(DatasetRow).where(
                DatasetRow.tenant == ws.settings.tenant, DatasetRow.name == name)).first() is None:
            raise NotFoundError(f"unknown dataset {name!r}", field="name")
        rows = session.scalars(query.order_by(ReleaseRow.created_at, ReleaseRow.id)).all()
        return [release_of(session, r) for r in rows]


@dataclass(frozen=True)
class SchemeRecord:
    """A stored scheme, the released columns' profiles and the releases made under it."""

    ref: int
    scheme: Scheme
    profile: tuple[ColumnProfile, ...]
    releases: tuple[Release, ...]


def schemes_with_releases(ws: Workspace, name: str | None = None, *, active_only: bool = False) -> list[SchemeRecord]:
    releases = list_releases(ws, name, status=ACTIVE if active_only else None)
    if not releases:
        return []
    by_scheme: dict[int, list[Release]] = {}
    with ws.session() as session:
        refs = {r.id: r.scheme_ref for r in session.scalars(select(ReleaseRow).where(
            ReleaseRow.tenant == ws.settings.tenant, ReleaseRow.id.in_([r.id for r in releases])))}
        for release in releases:
            by_scheme.setdefault(refs[release.id], []).append(release)
        out = []
        for ref, members in sorted(by_scheme.items()):
            row = session.get(WatermarkSchemeRow, ref)
            assert row is not None and row.tenant == ws.settings.tenant
            out.append(SchemeRecord(ref, Scheme.from_json(row.params),
                                    tuple(ColumnProfile.from_json(p) for p in row.profile), tuple(members)))
        return out


def scheme_ref(session: Session, tenant: str, version_id: str, scheme: Scheme,
               profile: Callable[[], list[ColumnProfile]], now: datetime) -> int:
    """The stored scheme row for (version, scheme), created with the columns' ``profile()`` on first use
    (within the caller's transaction)."""
    row = session.scalars(select(WatermarkSchemeRow).where(
        WatermarkSchemeRow.tenant == tenant, WatermarkSchemeRow.version_id == version_id,
        WatermarkSchemeRow.scheme_id == scheme.id)).one_or_none()
    if row is None:
        row = WatermarkSchemeRow(tenant=tenant, version_id=version_id, scheme_id=scheme.id, key_id=scheme.key_id,
                                 params=scheme.to_json(), profile=[p.to_json() for p in profile()], created_at=now)
        session.add(row)
        session.flush()
    return row.id
