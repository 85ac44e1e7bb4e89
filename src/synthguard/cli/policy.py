"""``synthguard policy export``: Azure Policy definitions, an initiative and Sentinel rules for the
misconfigurations ``synthguard scan`` reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..scan.enforce import ExportOptions, export
from .output import Format, FormatOption, console, emit_json

app = typer.Typer(no_args_is_help=True, help="Enforce in Azure what the scan checks: Azure Policy, Sentinel.")


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="Directory to write policy/ and sentinel/ into.")],
    scope: Annotated[str, typer.Option(help="Where the definitions will live: /subscriptions/<id> or "
                                            "/providers/Microsoft.Management/managementGroups/<name>.")]
    = ExportOptions.scope,
    container: Annotated[list[str] | None, typer.Option(help="A container holding synthetic data (repeatable).")]
    = None,
    known_network: Annotated[list[str] | None, typer.Option(help="CIDR SAS use is expected from (repeatable).")]
    = None,
    egress_bytes: Annotated[int, typer.Option(help="Hourly bytes per caller before the egress rule fires.")]
    = ExportOptions.egress_bytes,
    fmt: FormatOption = Format.text,
) -> None:
    """Write Azure Policy definitions + initiative (audit / deny for resources tagged synthetic) and KQL rules."""
    options = ExportOptions(scope=scope, containers=tuple(container or ()), egress_bytes=egress_bytes,
                            known_networks=tuple(known_network) if known_network else ExportOptions.known_networks)
    written = export(out, options)
    if fmt == Format.json:
        emit_json({"out": str(out), "files": [str(p) for p in written]})
        return
    for path in written:
        console.print(str(path))
    console.print(f"{len(written)} file(s) written; deploy with az policy definition create / az deployment")


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="policy")
