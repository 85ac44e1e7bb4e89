"""Incident value types, their mapping from stored rows, and tenant-scoped lookups.

Every query here filters by tenant: one tenant never sees another's incidents, even by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..store.tables import IncidentClockRow, IncidentRow, IncidentStepRow
from .clocks import as_utc


@dataclass(frozen=True)
class Clock:
    name: str
    started_at: datetime
    due_at: datetime
    basis: str
    met_at: datetime | None
    evidence: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Step:
    position: int
    key: str
    phase: str
    title: str
    owner: str
    action: str
    meets: tuple[str, ...]
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    evidence: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Incident:
    id: str
    tenant: str
    title: str
    status: str
    severity: str
    detected_at: datetime
    opened_at: datetime
    opened_by: str
    suspected_recipient: str | None
    datasets: tuple[dict[str, Any], ...]
    releases: tuple[str, ...]
    trace: dict[str, Any] | None
    closed_at: datetime | None
    closed_by: str | None
    clocks: tuple[Clock, ...]
    steps: tuple[Step, ...]


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def incident_of(session: Session, row: IncidentRow) -> Incident:
    clocks = session.scalars(select(IncidentClockRow).where(IncidentClockRow.incident_id == row.id)
                             .order_by(IncidentClockRow.due_at, IncidentClockRow.name)).all()
    steps = session.scalars(select(IncidentStepRow).where(IncidentStepRow.incident_id == row.id)
                            .order_by(IncidentStepRow.position)).all()
    return Incident(
        id=row.id, tenant=row.tenant, title=row.title, status=row.status, severity=row.severity,
        detected_at=as_utc(row.detected_at), opened_at=as_utc(row.opened_at), opened_by=row.opened_by,
        suspected_recipient=row.suspected_recipient, datasets=tuple(row.datasets),
        releases=tuple(str(r) for r in row.releases), trace=row.trace_report,
        closed_at=_maybe(row.closed_at), closed_by=row.closed_by,
        clocks=tuple(Clock(c.name, as_utc(c.started_at), as_utc(c.due_at), c.basis, _maybe(c.met_at),
                           tuple(c.evidence)) for c in clocks),
        steps=tuple(Step(s.position, s.key, s.phase, s.title, s.owner, s.action, tuple(s.meets), as_utc(s.due_at),
                         _maybe(s.done_at), s.done_by, tuple(s.evidence)) for s in steps))


def find_incident(session: Session, tenant: str, incident_id: str) -> IncidentRow:
    row = session.scalars(select(IncidentRow).where(
        IncidentRow.tenant == tenant, IncidentRow.id == incident_id.strip())).one_or_none()
    if row is None:
        raise NotFoundError(f"unknown incident {incident_id!r}", field="incident")
    return row


def find_step(session: Session, incident: IncidentRow, step: str) -> IncidentStepRow:
    """A step by key (``contain.retire-releases``) or by its number in the playbook (``2``)."""
    query = select(IncidentStepRow).where(IncidentStepRow.incident_id == incident.id)
    wanted = step.strip()
    if wanted.isdigit():
        query = query.where(IncidentStepRow.position == int(wanted))
    else:
        query = query.where(IncidentStepRow.key == wanted)
    row = session.scalars(query).one_or_none()
    if row is None:
        keys = session.scalars(select(IncidentStepRow.key).where(IncidentStepRow.incident_id == incident.id)
                               .order_by(IncidentStepRow.position)).all()
        raise NotFoundError(f"incident {incident.id} has no step {step!r} (steps: {', '.join(keys)})", field="step")
    return row


def incident_rows(session: Session, tenant: str, status: str | None = None) -> list[IncidentRow]:
    query = select(IncidentRow).where(IncidentRow.tenant == tenant)
    if status is not None:
        query = query.where(IncidentRow.status == status)
    return list(session.scalars(query.order_by(IncidentRow.detected_at, IncidentRow.id)))
