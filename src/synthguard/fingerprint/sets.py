"""The workspace's fingerprint sets: which column sets are indexed, and which versions each holds.

A column set's identity is its fp-v1 definition (sorted columns + normalisers); its index lives in
``$SYNTHGUARD_HOME/fingerprints/<set id>/`` with one segment per dataset version (key = version
id). The store records the sets and segments; the index files hold the fingerprints.

Ordering on register: the segment file is built first, then the rows are committed; if the commit
fails the segment is retired again. A segment the store does not know is ignored by the detector.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from ..store.tables import DatasetRow, FingerprintSegmentRow, FingerprintSetRow, VersionRow
from .fpv1 import ColumnSet, fingerprint
from .index import FingerprintIndex

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass(frozen=True)
class FingerprintRequest:
    """``register --fingerprint-columns`` (None = every column of each table) and ``--normalise``."""

    columns: tuple[str, ...] | None = None
    normalisers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, columns: str | Sequence[str] | None, normalise: Sequence[str] = ()) -> FingerprintRequest:
        names = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else columns
        pairs = []
        for item in normalise:
            column, sep, name = item.partition("=")
            if not sep:
                raise InputError(f"invalid --normalise {item!r}: expected column=normaliser", field="normalise")
            pairs.append((column.strip(), name.strip()))
        return cls(tuple(names) if names else None, tuple(pairs))

    def column_set_for(self, available: Sequence[str]) -> ColumnSet | None:
        """The column set of a table with these columns, or None when it lacks a requested column."""
        columns = self.columns or tuple(available)
        if not set(columns) <= set(available):
            return None
        normalisers = {c: n for c, n in self.normalisers if c in columns}
        return ColumnSet(tuple(columns), normalisers)


def set_id(column_set: ColumnSet) -> str:
    canonical = json.dumps(column_set.to_dict(), sort_keys=True, separators=(",", ":"))
    return "fs-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def index_dir(ws: Workspace, column_set_id: str) -> Path:
    return ws.settings.home / "fingerprints" / column_set_id


class Collector:
    """fp-v1 of every row it is shown, grouped by the column set each table falls in.

    A :data:`~synthguard.catalog.tables.TableObserver`: register hands it every batch while it
    describes the tables, so each file is read once.
    """

    def __init__(self, request: FingerprintRequest) -> None:
        self._request = request
        self._sets: dict[tuple[str, tuple[str, ...]], ColumnSet | None] = {}
        self._grouped: dict[ColumnSet, list[npt.NDArray[np.uint64]]] = {}

    def __call__(self, table: str, batch: pa.RecordBatch) -> None:
        key = (table, tuple(batch.schema.names))
        if key not in self._sets:
            self._sets[key] = self._request.column_set_for(batch.schema.names)
        column_set = self._sets[key]
        if column_set is not None:
            self._grouped.setdefault(column_set, []).append(fingerprint(batch, column_set))

    def result(self) -> dict[ColumnSet, npt.NDArray[np.uint64]]:
        if not self._grouped:
            wanted = ", ".join(self._request.columns or ())
            raise InputError(f"no table has all fingerprint columns ({wanted})", field="fingerprint-columns")
        return {cs: np.concatenate(parts) for cs, parts in self._grouped.items()}


def add_segments(ws: Workspace, session: Session, version_id: str,
                 fingerprints: dict[ColumnSet, npt.NDArray[np.uint64]]) -> list[tuple[str, int]]:
    """Build each set's segment for the version and record it in ``session`` (the caller commits)."""
    added = []
    now = datetime.now(UTC)
    for column_set, fps in fingerprints.items():
        sid = set_id(column_set)
        if session.get(FingerprintSetRow, sid) is None:
            session.add(FingerprintSetRow(id=sid, tenant=ws.settings.tenant, columns=list(column_set.columns),
                                          normalisers=dict(column_set.normalisers), created_at=now))
        if session.get(FingerprintSegmentRow, (sid, version_id)) is None:
            FingerprintIndex(index_dir(ws, sid)).add(version_id, fps)
            session.add(FingerprintSegmentRow(set_id=sid, version_id=version_id, rows=int(fps.size), created_at=now))
            added.append((sid, int(fps.size)))
    return added


def discard_segments(ws: Workspace, version_id: str, set_ids: Sequence[str]) -> None:
    """Undo ``add_segments`` after a failed commit."""
    for sid in set_ids:
        FingerprintIndex(index_dir(ws, sid)).retire(version_id)


def retire_version(ws: Workspace, session: Session, version_id: str) -> int:
    """Take a version's fingerprints out of every index; returns how many segments left."""
    rows = session.scalars(select(FingerprintSegmentRow).where(
        FingerprintSegmentRow.version_id == version_id, FingerprintSegmentRow.retired_at.is_(None))).all()
    for row in rows:
        FingerprintIndex(index_dir(ws, row.set_id)).retire(version_id)
        row.retired_at = datetime.now(UTC)
    return len(rows)


@dataclass(frozen=True)
class ActiveSet:
    column_set: ColumnSet
    index: FingerprintIndex
    refs: dict[str, str]  # version id -> "name@N"


def active_sets(ws: Workspace) -> list[ActiveSet]:
    """Every column set with at least one live segment, with the refs its segment keys stand for."""
    with ws.session() as session:
        query = (select(FingerprintSetRow, VersionRow.id, DatasetRow.name, VersionRow.version)
                 .join(FingerprintSegmentRow, FingerprintSegmentRow.set_id == FingerprintSetRow.id)
                 .join(VersionRow, VersionRow.id == FingerprintSegmentRow.version_id)
                 .join(DatasetRow, DatasetRow.id == VersionRow.dataset_id)
                 .where(FingerprintSetRow.tenant == ws.settings.tenant, FingerprintSegmentRow.retired_at.is_(None)))
        grouped: dict[str, tuple[FingerprintSetRow, dict[str, str]]] = {}
        for set_row, version_id, name, number in session.execute(query):
            grouped.setdefault(set_row.id, (set_row, {}))[1][version_id] = f"{name}@{number}"
    return [ActiveSet(ColumnSet(tuple(row.columns), dict(row.normalisers)), FingerprintIndex(index_dir(ws, sid)), refs)
            for sid, (row, refs) in grouped.items()]
