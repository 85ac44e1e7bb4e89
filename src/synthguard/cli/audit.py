"""``synthguard audit …``: verify the log, print proofs, export to a SIEM."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from ..audit import proofs
from ..errors import InputError
from .output import Format, FormatOption, HomeOption, console, emit_json, exit_with, open_workspace

app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")


@app.command()
def verify(home: HomeOption = None, fmt: FormatOption = Format.text) -> None:
    """Recompute the Merkle tree, check every signed checkpoint; exit 1 naming the first bad entry."""
    with open_workspace(home) as ws:
        result = ws.audit.verify()
        ws.record("audit.verify", ws.origin, outcome="success" if result.ok else "failure",
                  details=result.to_json())
    if fmt is Format.json:
        emit_json(result.to_json())
    else:
        console.print(("verified: " if result.ok else "NOT verified: ") + result.reason)
    exit_with(result.ok)


@app.command()
def proof(
    entry: Annotated[int | None, typer.Option(help="Inclusion proof of this entry (seq).")] = None,
    checkpoint: Annotated[int | None, typer.Option(help="Checkpoint id (default: latest).")] = None,
    since_checkpoint: Annotated[int | None, typer.Option(
        "--from-checkpoint", help="Consistency proof from this checkpoint to --checkpoint.")] = None,
    home: HomeOption = None,
) -> None:
    """Print an RFC 9162 inclusion or consistency proof with its signed checkpoint(s), as JSON."""
    if (entry is None) == (since_checkpoint is None):
        raise InputError("give either --entry N (inclusion) or --from-checkpoint K (consistency)")
    with open_workspace(home) as ws:
        if entry is not None:
            emit_json(proofs.inclusion(ws.engine, entry, checkpoint))
        else:
            assert since_checkpoint is not None
            emit_json(proofs.consistency(ws.engine, since_checkpoint, checkpoint))


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="ocsf | cef | jsonl")] = "jsonl",
    since: Annotated[str | None, typer.Option(help="Only events at or after this ISO 8601 time.")] = None,
    home: HomeOption = None,
) -> None:
    """Write audit events to stdout, one per line, for a SIEM."""
    from ..audit.exporters import get_exporter  # imported here: exporters pull in their own libraries

    exporter = get_exporter(fmt)
    start = _parse_time(since) if since else None
    with open_workspace(home) as ws:
        for line in exporter.render(ws.audit.events(start)):
            sys.stdout.write(line + "\n")


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--since {text!r} is not an ISO 8601 time", field="since") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
