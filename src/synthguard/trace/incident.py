"""Incident verbs: open (from a trace report or by hand), record step progress and evidence, close, list, show.

Each verb writes its rows and its audit event in one transaction; a refused or failed attempt is
audited too (outcome ``failure``) and leaves nothing behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, SynthGuardError
from ..store.tables import DatasetRow, IncidentClockRow, IncidentRow, IncidentStepRow, VersionRow
from . import evidence
from .actions import ActionContext, get_action, known_actions
from .clocks import clock_specs, parse_moment
from .config import IncidentConfig
from .playbook import DEFAULT, Playbook, StepTemplate, load_playbook
from .records import Incident, Step, find_incident, find_step, incident_of, incident_rows
from .releases import find_releases
from .tracefile import TraceSummary, read_trace_report

if TYPE_CHECKING:
    from ..workspace import Workspace

SEVERITIES = ("low", "medium", "high", "critical")
# Detection times a little ahead of our clock are skew between machines, not the future.
_SKEW = timedelta(minutes=5)
T = TypeVar("T")


@dataclass(frozen=True)
class IncidentRequest:
    """What ``incident open`` is given; ``detected_at`` as text is read in the workspace's time zone."""

    trace_file: Path | None = None
    title: str | None = None
    detected_at: datetime | str | None = None
    datasets: tuple[str, ...] = ()
    releases: tuple[str, ...] = ()
    recipient: str | None = None
    severity: str = "high"
    playbook: Path | None = None


@dataclass(frozen=True)
class StepUpdate:
    """Progress on one step: mark it done, attach evidence files (hashed, kept) and notes."""

    done: bool = False
    evidence_files: tuple[Path, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _clock(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise InputError("the reference time needs a UTC offset", field="now")
    return now.astimezone(UTC)


def _audited(ws: Workspace, action: str, obj: str, work: Callable[[], T]) -> T:
    """Run ``work``; a SynthGuard error is recorded as a failed ``action`` before it propagates."""
    try:
        return work()
    except SynthGuardError as exc:
        ws.record(action, obj, outcome="failure", details={"error": exc.diagnostics()})
        raise


# -- open -----------------------------------------------------------------------------------------

def open_incident(ws: Workspace, request: IncidentRequest, *, now: datetime | None = None) -> Incident:
    """Record the incident, start its clocks and instantiate its playbook; returns it as stored."""
    moment = _clock(now)
    return _audited(ws, "incident.open", "incident", lambda: _open(ws, request, moment))


def _open(ws: Workspace, request: IncidentRequest, now: datetime) -> Incident:
    config = IncidentConfig.load(ws.settings.config_path)
    detected = _detected_at(request.detected_at, config, now)
    if request.title is not None and not request.title.strip():
        raise InputError("the title must not be empty", field="title")
    if request.severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    trace = read_trace_report(request.trace_file) if request.trace_file is not None else None
    suspects = trace.suspects if trace else ()
    releases = _unique([*request.releases, *(c.release_id for c in suspects if c.release_id)], "release")
    recipients = _unique([request.recipient] if request.recipient is not None
                         else [c.recipient for c in suspects if c.recipient], "recipient")
    refs = _unique([*request.datasets, *(c.dataset for c in suspects if c.dataset),
                    *([trace.dataset] if trace and trace.dataset else [])], "dataset")
    playbook = _playbook(request.playbook or config.playbook)
    tenant = ws.settings.tenant
    with ws.session() as session:  # read what the incident refers to; nothing is written yet
        infos = find_releases(session, tenant, releases)
        if infos:
            refs = _unique([*refs, *(_ref_of(session, tenant, i.version_id) for i in infos if i.version_id)],
                           "dataset")
            recipients = recipients or _unique([i.recipient for i in infos if i.recipient], "recipient")
    # Outside that session: on SQLite every session holds the write lock, and lineage opens its own.
    datasets = [_dataset_entry(ws, ref) for ref in refs]
    if not datasets and not releases:
        raise InputError("an incident needs --from-trace, --dataset NAME@N or --release ID", field="dataset")
    recipient = _fit(", ".join(recipients), 256) or None
    gathered = {t.key: get_action(t.action).gather(ws, datasets, now) for t in playbook.steps}
    with ws.session() as session, session.begin():
        row = IncidentRow(
            id=f"INC-{now:%Y%m%d}-{secrets.token_hex(3).upper()}", tenant=tenant,
            title=(request.title or _default_title(datasets, releases, recipient)).strip(),
            detected_at=detected, opened_at=now, opened_by=ws.settings.actor, status="open",
            severity=request.severity, suspected_recipient=recipient, datasets=datasets, releases=releases,
            trace_report=trace.to_json() if trace else None)
        session.add(row)
        session.flush()  # no ORM relationship orders the inserts, so the parent row goes first
        specs = clock_specs(config, recipients)
        session.add_all(IncidentClockRow(incident_id=row.id, name=s.name, started_at=detected,
                                         due_at=s.due(detected), basis=s.basis, evidence=[]) for s in specs)
        steps = [_step_row(row, index, template, specs) for index, template in enumerate(playbook.steps, start=1)]
        session.add_all(steps)
        session.flush()
        for step in steps:
            step.evidence = gathered[step.key] + get_action(step.action).on_open(
                ActionContext(ws, session, row, step, now))
        ws.audit.append_in(session, [ws.draft("incident.open", row.id, digest=trace.sha256 if trace else "",
                                              details=_open_details(row, specs, playbook, trace))])
    with ws.session() as session:
        return incident_of(session, find_incident(session, tenant, row.id))


def _detected_at(value: datetime | str | None, config: IncidentConfig, now: datetime) -> datetime:
    if value is None:
        return now
    if isinstance(value, str):
        moment = parse_moment(value, config.zone, "detected-at")
    elif value.tzinfo is None:
        raise InputError("detected-at needs a time zone", field="detected-at")
    else:
        moment = value.astimezone(UTC)
    if moment > now + _SKEW:
        raise InputError(f"detected-at {moment.isoformat()} is in the future", field="detected-at")
    return moment


def _playbook(path: Path | None) -> Playbook:
    return load_playbook(path, known_actions()) if path is not None else DEFAULT


def _unique(values: Iterable[str], field: str) -> list[str]:
    seen: list[str] = []
    for value in (v.strip() for v in values):
        if not value:
            raise InputError("must not be empty", field=field)
        if value not in seen:
            seen.append(value)
    return seen


def _fit(text: str, size: int) -> str:
    """Colluders' names joined may outgrow the column; the full list stays in the trace evidence."""
    return text if len(text) <= size else text[: size - 1] + "…"


def _ref_of(session: Session, tenant: str, version_id: str) -> str:
    row = session.scalars(select(VersionRow).join(DatasetRow).where(
        DatasetRow.tenant == tenant, VersionRow.id == version_id)).one_or_none()
    if row is None:  # the release points at a version this tenant cannot see: keep the id, say so
        raise InputError(f"release refers to unknown dataset version {version_id!r}", field="release")
    return f"{row.dataset.name}@{row.version}"


def _dataset_entry(ws: Workspace, ref: str) -> dict[str, Any]:
    """The affected version and, for the assessment, the real sources along its lineage."""
    chain = ws.lineage(ref)
    version = chain[0]
    return {"ref": version.ref, "id": version.id, "digest": version.digest, "owner": version.owner,
            "source": version.source, "rows": version.rows,
            "lineage": [{"ref": v.ref, "source": v.source} for v in chain]}


def _default_title(datasets: list[dict[str, Any]], releases: list[str], recipient: str | None) -> str:
    what = ", ".join(d["ref"] for d in datasets) or ", ".join(f"release {r}" for r in releases)
    return f"Leak of {what}" + (f" (suspected recipient {recipient})" if recipient else "")


def _step_row(incident: IncidentRow, position: int, template: StepTemplate, specs: list[Any]) -> IncidentStepRow:
    owner_of_data = incident.datasets[0]["owner"] if incident.datasets else "data-owner"
    recipient = incident.suspected_recipient or "the recipient"

    def fill(text: str) -> str:
        # Plain replacement, not str.format: playbook text written by people may contain braces.
        return text.replace("{dataset_owner}", owner_of_data).replace("{recipient}", recipient)

    return IncidentStepRow(incident_id=incident.id, position=position, key=template.key, phase=template.phase,
                           title=fill(template.title), owner=fill(template.owner), action=template.action,
                           meets=[c.name for c in template.met_clocks(specs)] or list(template.meets),
                           due_at=template.due(incident.detected_at, specs), evidence=[])


def _open_details(row: IncidentRow, specs: list[Any], playbook: Playbook,
                  trace: TraceSummary | None) -> dict[str, Any]:
    return {"title": row.title, "detected_at": row.detected_at.isoformat(), "severity": row.severity,
            "suspected_recipient": row.suspected_recipient, "datasets": [d["ref"] for d in row.datasets],
            "releases": row.releases, "clocks": {s.name: s.due(row.detected_at).isoformat() for s in specs},
            "playbook": playbook.source, "trace": {"file": trace.path, "sha256": trace.sha256} if trace else None}


# -- steps and closing ----------------------------------------------------------------------------

def update_step(ws: Workspace, incident_id: str, step: str, update: StepUpdate, *,
                now: datetime | None = None) -> Step:
    """Attach evidence to a step and/or mark it done (running its action, meeting its clocks)."""
    moment = _clock(now)
    return _audited(ws, "incident.step", incident_id, lambda: _update(ws, incident_id, step, update, moment))


def _update(ws: Workspace, incident_id: str, step_ref: str, update: StepUpdate, now: datetime) -> Step:
    if not (update.done or update.evidence_files or update.notes):
        raise InputError("nothing to record: give --done, --evidence FILE or --note TEXT", field="step")
    if any(not n.strip() for n in update.notes):
        raise InputError("a note must not be empty", field="note")
    actor = ws.settings.actor
    with ws.session() as session:
        probe = find_incident(session, ws.settings.tenant, incident_id)  # unknown ids fail before any copying
        store = ws.settings.home / "incidents" / probe.id / "evidence"
    with evidence.staged_files(list(update.evidence_files), store, actor, now) as staged:
        with ws.session() as session, session.begin():
            incident = find_incident(session, ws.settings.tenant, incident_id)
            if incident.status != "open":
                raise InputError(f"incident {incident.id} is closed", field="incident")
            row = find_step(session, incident, step_ref)
            if update.done and row.done_at is not None:
                raise InputError(f"step {row.key} was already done at {row.done_at.isoformat()}", field="step")
            added = staged.items + [evidence.note(n.strip(), actor, now) for n in update.notes]
            items = list(row.evidence) + added
            met: list[str] = []
            facts: list[dict[str, Any]] = []
            if update.done:
                action = get_action(row.action)
                ctx = ActionContext(ws, session, incident, row, now)
                if action.needs_evidence(ctx) and not any(i.get("added_by") != "synthguard" for i in items):
                    raise InputError(f"step {row.key} needs evidence of what was done: attach --evidence FILE "
                                     "or --note TEXT", field="evidence")
                facts = action.on_done(ctx)
                row.done_at, row.done_by = now, actor
                met = _meet_clocks(session, incident, row, now)
            row.evidence = items + facts  # a new list: JSON columns only notice reassignment
            ws.audit.append_in(session, [ws.draft("incident.step", incident.id, details={
                "step": row.key, "done": update.done, "clocks_met": met,
                "evidence": [_evidence_summary(i) for i in added], "actions": [f["result"] for f in facts]})])
        staged.commit()
    with ws.session() as session:
        view = incident_of(session, find_incident(session, ws.settings.tenant, incident_id))
    return next(s for s in view.steps if s.key == row.key)


def _meet_clocks(session: Session, incident: IncidentRow, step: IncidentStepRow, now: datetime) -> list[str]:
    clocks = session.scalars(select(IncidentClockRow).where(
        IncidentClockRow.incident_id == incident.id, IncidentClockRow.name.in_(list(step.meets)))).all()
    met = []
    for clock in clocks:
        if clock.met_at is None:
            clock.met_at = now
            clock.evidence = [*clock.evidence, {"kind": "step", "step": step.key, "added_at": now.isoformat(),
                                                "added_by": step.done_by}]
            met.append(clock.name)
    return met


def _evidence_summary(item: dict[str, Any]) -> dict[str, Any]:
    if item["kind"] == "file":
        return {"kind": "file", "name": item["name"], "sha256": item["sha256"], "size": item["size"]}
    return {"kind": item["kind"], "text": item.get("text", "")}


def close_incident(ws: Workspace, incident_id: str, *, force: bool = False, note: str | None = None,
                   now: datetime | None = None) -> Incident:
    """Close the incident; with steps still open only under ``force`` and with a ``note`` saying why."""
    moment = _clock(now)
    return _audited(ws, "incident.close", incident_id, lambda: _close(ws, incident_id, force, note, moment))


def _close(ws: Workspace, incident_id: str, force: bool, note: str | None, now: datetime) -> Incident:
    with ws.session() as session, session.begin():
        incident = find_incident(session, ws.settings.tenant, incident_id)
        if incident.status != "open":
            raise InputError(f"incident {incident.id} is already closed", field="incident")
        open_steps = session.scalars(select(IncidentStepRow.key).where(
            IncidentStepRow.incident_id == incident.id, IncidentStepRow.done_at.is_(None))
            .order_by(IncidentStepRow.position)).all()
        if open_steps and not (force and note and note.strip()):
            raise InputError(f"{len(open_steps)} step(s) still open ({', '.join(open_steps)}); finish them, "
                             "or pass --force with --note saying why", field="step")
        unmet = session.scalars(select(IncidentClockRow.name).where(
            IncidentClockRow.incident_id == incident.id, IncidentClockRow.met_at.is_(None))).all()
        incident.status, incident.closed_at, incident.closed_by = "closed", now, ws.settings.actor
        ws.audit.append_in(session, [ws.draft("incident.close", incident.id, details={
            "open_steps": list(open_steps), "unmet_clocks": list(unmet), "note": note or ""})])
    with ws.session() as session:
        return incident_of(session, find_incident(session, ws.settings.tenant, incident_id))


# -- reading --------------------------------------------------------------------------------------

def show_incident(ws: Workspace, incident_id: str) -> Incident:
    with ws.session() as session:
        return incident_of(session, find_incident(session, ws.settings.tenant, incident_id))


def list_incidents(ws: Workspace, status: str | None = None) -> list[Incident]:
    if status is not None and status not in ("open", "closed"):
        raise InputError("status must be open or closed", field="status")
    with ws.session() as session:
        return [incident_of(session, row) for row in incident_rows(session, ws.settings.tenant, status)]
