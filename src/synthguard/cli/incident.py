"""``synthguard incident …``: open an incident from a trace report or by hand, work its playbook, export it."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from ..atomicfile import write_atomic
from ..errors import InputError
from ..trace import IncidentRequest, StepUpdate, close_incident, list_incidents, open_incident, show_incident
from ..trace import update_step as record_step
from ..trace.clocks import parse_moment
from ..trace.config import IncidentConfig
from ..trace.report import export_json, export_markdown, incident_json, step_json, summary_json
from ..workspace import Workspace
from .output import Format, FormatOption, HomeOption, console, emit_json, open_workspace

app = typer.Typer(no_args_is_help=True, help="Leak incidents: GDPR and contractual clocks, playbook, evidence.")

AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="Measure time remaining at this ISO time (default: now; no offset = workspace zone).")]
_COLOURS = {"running": "green", "met": "green", "met late": "yellow", "overdue": "bold red"}


def _as_of(ws: Workspace, text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    return parse_moment(text, IncidentConfig.load(ws.settings.config_path).zone, "as-of")


def _zone(ws: Workspace) -> ZoneInfo:
    return IncidentConfig.load(ws.settings.config_path).zone


@app.command("open")
def open_(
    from_trace: Annotated[Path | None, typer.Option(
        "--from-trace", help="Trace report JSON (synthguard trace FILE --format json).")] = None,
    title: Annotated[str | None, typer.Option(help="Short title (default: from the datasets and recipient).")] = None,
    detected_at: Annotated[str | None, typer.Option(
        help="When you became aware (ISO 8601; no offset = workspace zone). Default: now.")] = None,
    dataset: Annotated[list[str] | None, typer.Option(help="Affected NAME@N, repeatable.")] = None,
    release: Annotated[list[str] | None, typer.Option(help="Affected release id, repeatable.")] = None,
    recipient: Annotated[str | None, typer.Option(help="Suspected recipient (overrides the trace).")] = None,
    severity: Annotated[str, typer.Option(help="low | medium | high | critical")] = "high",
    playbook: Annotated[Path | None, typer.Option(help="Playbook TOML (default: [incidents] playbook or built-in).")]
    = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Open an incident: record what leaked and who is suspected, start the clocks, lay out the playbook."""
    request = IncidentRequest(trace_file=from_trace, title=title, detected_at=detected_at,
                              datasets=tuple(dataset or ()), releases=tuple(release or ()), recipient=recipient,
                              severity=severity, playbook=playbook)
    with open_workspace(home) as ws:
        incident = open_incident(ws, request)
        now, zone = datetime.now(UTC), _zone(ws)
    view = incident_json(incident, zone, now)
    if fmt is Format.json:
        emit_json(view)
        return
    console.print(f"opened [bold]{incident.id}[/bold]: {escape(incident.title)}")
    console.print(f"  detected  {view['detected']['display']}   suspected recipient: "
                  f"{escape(incident.suspected_recipient or 'not attributed')}")
    for clock in view["clocks"]:
        console.print(f"  clock     {clock['name']:<24} due {clock['due']['display']}  ({clock['remaining']})")
    console.print(f"  playbook  {len(incident.steps)} steps: synthguard incident show {incident.id}")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="open | closed")] = None,
    as_of: AsOfOption = None, home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """This tenant's incidents with their nearest unmet deadline."""
    with open_workspace(home) as ws:
        now, zone = _as_of(ws, as_of), _zone(ws)
        rows = [summary_json(i, zone, now) for i in list_incidents(ws, status)]
    if fmt is Format.json:
        emit_json(rows)
        return
    table = Table("id", "status", "severity", "detected", "recipient", "open steps", "next deadline")
    table.columns[0].no_wrap = True
    for row in rows:
        nxt = row["next_deadline"]
        deadline = (f"[{_COLOURS[nxt['state']]}]{nxt['clock']}: {nxt['remaining']}[/]" if nxt else "—")
        table.add_row(row["id"], row["status"], row["severity"], row["detected"]["display"],
                      escape(row["suspected_recipient"] or "—"), str(row["open_steps"]), deadline)
    console.print(table)


@app.command()
def show(
    incident_id: Annotated[str, typer.Argument(metavar="ID")],
    as_of: AsOfOption = None, home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Clocks with time remaining (overdue in red), the playbook with owners, due times and evidence."""
    with open_workspace(home) as ws:
        now, zone = _as_of(ws, as_of), _zone(ws)
        view = incident_json(show_incident(ws, incident_id), zone, now)
    if fmt is Format.json:
        emit_json(view)
        return
    console.print(f"[bold]{view['id']}[/bold]  {escape(view['title'])}  ({view['status']}, {view['severity']})")
    console.print(f"  detected {view['detected']['display']}, opened by {escape(view['opened_by'])}; "
                  f"suspected recipient: {escape(view['suspected_recipient'] or 'not attributed')}")
    console.print(f"  datasets: {escape(', '.join(d['ref'] for d in view['datasets']) or '—')}; "
                  f"releases: {escape(', '.join(view['releases']) or '—')}; as of {view['as_of']['display']}")
    clocks = Table("clock", "due", "remaining")  # the legal basis is in --format json and the export
    clocks.columns[0].no_wrap = True
    for c in view["clocks"]:
        clocks.add_row(c["name"], c["due"]["display"], f"[{_COLOURS[c['state']]}]{c['remaining']}[/]")
    console.print(clocks)
    steps = Table("#", "step", "owner", "due", "state", "evidence")
    steps.columns[1].no_wrap = True
    for s in view["steps"]:
        steps.add_row(str(s["position"]), escape(s["key"]), escape(s["owner"]), s["due"]["display"],
                      "done" if s["done"] else f"[{_COLOURS[s['state']]}]{s['remaining']}[/]", str(len(s["evidence"])))
    console.print(steps)


@app.command()
def step(
    incident_id: Annotated[str, typer.Argument(metavar="ID")],
    step_ref: Annotated[str, typer.Argument(metavar="STEP", help="Step key (contain.retire-releases) or number.")],
    done: Annotated[bool, typer.Option("--done", help="Mark the step done (runs its action, meets its clocks).")]
    = False,
    evidence: Annotated[list[Path] | None, typer.Option(help="Evidence file (hashed, kept), repeatable.")] = None,
    note: Annotated[list[str] | None, typer.Option(help="Evidence note, repeatable.")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Attach evidence to a playbook step and/or mark it done."""
    update = StepUpdate(done=done, evidence_files=tuple(evidence or ()), notes=tuple(note or ()))
    with open_workspace(home) as ws:
        result = record_step(ws, incident_id, step_ref, update)
        view = step_json(result, _zone(ws), datetime.now(UTC))
    if fmt is Format.json:
        emit_json(view)
        return
    state = f"done {view['done']['display']}" if view["done"] else "open"
    console.print(f"{incident_id} {escape(view['key'])}: {state}; {len(view['evidence'])} evidence item(s)")
    for item in view["evidence"]:
        if item["kind"] == "file":
            console.print(f"  {escape(item['name'])}  sha256:{item['sha256']}")


@app.command()
def close(
    incident_id: Annotated[str, typer.Argument(metavar="ID")],
    force: Annotated[bool, typer.Option("--force", help="Close with steps still open (needs --note).")] = False,
    note: Annotated[str | None, typer.Option(help="Why (required with --force).")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Close the incident once every playbook step is done."""
    with open_workspace(home) as ws:
        incident = close_incident(ws, incident_id, force=force, note=note)
        view = incident_json(incident, _zone(ws), datetime.now(UTC))
    if fmt is Format.json:
        emit_json(view)
        return
    console.print(f"closed {incident.id} at {view['closed']['display']}")


class ExportFormat(StrEnum):
    markdown = "markdown"
    json = "json"


@app.command("export")
def export(
    incident_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="markdown | json")] = ExportFormat.markdown,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: standard output).")] = None,
    as_of: AsOfOption = None, home: HomeOption = None,
) -> None:
    """The incident with its timeline and audit trail, as Markdown or JSON."""
    if out is not None and not out.parent.absolute().is_dir():
        raise InputError("directory does not exist", path=str(out.parent), field="out")
    with open_workspace(home) as ws:
        now = _as_of(ws, as_of)
        if fmt is ExportFormat.json:
            text = json.dumps(export_json(ws, incident_id, now=now), indent=2, sort_keys=True, default=str) + "\n"
        else:
            text = export_markdown(ws, incident_id, now=now)
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, text)
    console.print(f"wrote {out}")


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="incident")
