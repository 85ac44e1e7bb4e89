"""Incident views: the JSON shape (``show``), a timeline, and the Markdown / JSON export.

Times are stored in UTC and shown in the workspace's zone (``[incidents] timezone``); time
remaining is measured against ``now``, which callers may fix (tests, "as of Friday" questions).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..store.tables import AuditEntryRow
from .clocks import as_utc, show_duration, show_time, state
from .config import IncidentConfig
from .incident import show_incident
from .records import Clock, Incident, Step

if TYPE_CHECKING:
    from ..workspace import Workspace

SCHEMA = "synthguard.incident/v1"


def _stamp(moment: datetime | None, zone: ZoneInfo) -> dict[str, str] | None:
    if moment is None:
        return None
    utc = as_utc(moment)
    return {"utc": utc.isoformat().replace("+00:00", "Z"), "local": utc.astimezone(zone).isoformat(),
            "display": show_time(utc, zone)}


def _deadline(due_at: datetime, done_at: datetime | None, now: datetime) -> dict[str, Any]:
    if done_at is not None and as_utc(done_at) > now:  # seen "as of" an earlier time, it was not done yet
        done_at = None
    remaining = as_utc(due_at) - now
    current = state(due_at, done_at, now)
    text = {"running": f"{show_duration(remaining)} left", "overdue": f"overdue by {show_duration(remaining)}",
            "met": "met", "met late": f"met {show_duration(as_utc(done_at or now) - as_utc(due_at))} late"}[current]
    return {"state": current, "remaining_seconds": int(remaining.total_seconds()), "remaining": text}


def clock_json(clock: Clock, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {"name": clock.name, "basis": clock.basis, "started": _stamp(clock.started_at, zone),
            "due": _stamp(clock.due_at, zone), "met": _stamp(clock.met_at, zone),
            **_deadline(clock.due_at, clock.met_at, now), "evidence": list(clock.evidence)}


def step_json(step: Step, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {"position": step.position, "key": step.key, "phase": step.phase, "title": step.title,
            "owner": step.owner, "action": step.action, "meets": list(step.meets), "due": _stamp(step.due_at, zone),
            "done": _stamp(step.done_at, zone), "done_by": step.done_by,
            **_deadline(step.due_at, step.done_at, now), "evidence": list(step.evidence)}


def incident_json(incident: Incident, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The full view of one incident as of ``now`` (what ``incident show --format json`` prints)."""
    return {
        "schema": SCHEMA, "id": incident.id, "tenant": incident.tenant, "title": incident.title,
        "status": incident.status, "severity": incident.severity, "timezone": zone.key,
        "as_of": _stamp(now, zone), "detected": _stamp(incident.detected_at, zone),
        "opened": _stamp(incident.opened_at, zone), "opened_by": incident.opened_by,
        "closed": _stamp(incident.closed_at, zone), "closed_by": incident.closed_by,
        "suspected_recipient": incident.suspected_recipient, "datasets": list(incident.datasets),
        "releases": list(incident.releases), "trace": incident.trace,
        "clocks": [clock_json(c, zone, now) for c in incident.clocks],
        "steps": [step_json(s, zone, now) for s in incident.steps],
    }


def summary_json(incident: Incident, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """One line of ``incident list``: the nearest unmet deadline is what people need to see."""
    pending = [c for c in incident.clocks if c.met_at is None]
    nearest = min(pending, key=lambda c: c.due_at) if pending and incident.status == "open" else None
    return {"id": incident.id, "title": incident.title, "status": incident.status, "severity": incident.severity,
            "detected": _stamp(incident.detected_at, zone), "suspected_recipient": incident.suspected_recipient,
            "open_steps": sum(1 for s in incident.steps if s.done_at is None),
            "next_deadline": {"clock": nearest.name, "due": _stamp(nearest.due_at, zone),
                              **_deadline(nearest.due_at, None, now)} if nearest else None}


def timeline(incident: Incident, zone: ZoneInfo) -> list[dict[str, Any]]:
    """What happened and what is due, in time order (deadlines included so the story shows the gaps)."""
    events: list[tuple[datetime, int, dict[str, Any]]] = []

    def add(moment: datetime | None, event: str, **detail: Any) -> None:
        if moment is not None:
            events.append((as_utc(moment), len(events), {"at": _stamp(moment, zone), "event": event, **detail}))

    add(incident.detected_at, "detected", text=incident.title)
    add(incident.opened_at, "opened", by=incident.opened_by, severity=incident.severity)
    for clock in incident.clocks:
        add(clock.due_at, "clock.due", clock=clock.name, basis=clock.basis)
        add(clock.met_at, "clock.met", clock=clock.name)
    for step in incident.steps:
        for item in step.evidence:
            if item.get("added_by") != "synthguard":
                add(_parse(item.get("added_at")), "evidence", step=step.key,
                    **{k: item[k] for k in ("kind", "name", "sha256", "text") if k in item})
        add(step.done_at, "step.done", step=step.key, by=step.done_by, title=step.title)
    add(incident.closed_at, "closed", by=incident.closed_by)
    return [entry for _, _, entry in sorted(events, key=lambda e: (e[0], e[1]))]


def _parse(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def audit_trail(ws: Workspace, incident: Incident) -> list[dict[str, Any]]:
    """The audit log entries about this incident (sequence numbers let an auditor ask for proofs)."""
    with ws.session() as session:
        rows = session.scalars(select(AuditEntryRow).where(
            AuditEntryRow.tenant == incident.tenant, AuditEntryRow.object == incident.id)
            .order_by(AuditEntryRow.seq)).all()
        return [{"seq": r.seq, "time": as_utc(r.time).isoformat(), "actor": r.actor, "action": r.action,
                 "outcome": r.outcome} for r in rows]


def export_json(ws: Workspace, incident_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The incident, its timeline and its audit trail as one JSON document (audited as an export)."""
    return _document(ws, incident_id, now, "json")


def export_markdown(ws: Workspace, incident_id: str, *, now: datetime | None = None) -> str:
    """A report for people (regulator file, post-incident review): summary, clocks, playbook, timeline."""
    from .markdown import render  # only the Markdown export needs the renderer

    return render(_document(ws, incident_id, now, "markdown"))


def _document(ws: Workspace, incident_id: str, now: datetime | None, fmt: str) -> dict[str, Any]:
    zone = IncidentConfig.load(ws.settings.config_path).zone
    moment = as_utc(now) if now else datetime.now(UTC)
    incident = show_incident(ws, incident_id)
    ws.record("incident.export", incident.id, details={"format": fmt})
    return {**incident_json(incident, zone, moment), "timeline": timeline(incident, zone),
            "audit": audit_trail(ws, incident)}
