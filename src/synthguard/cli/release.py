"""``release``, ``releases``, ``trace`` and ``watermark-key``: per-recipient watermarks from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..watermark import keys
from ..watermark.records import list_releases
from ..watermark.release import release as release_version
from ..watermark.trace import trace as trace_file
from .output import Format, FormatOption, HomeOption, console, emit_json, open_workspace


def release(
    ref: Annotated[str, typer.Argument(metavar="NAME[@N]", help="Version to release (NAME: its newest original).")],
    recipient: Annotated[str, typer.Option(help="Who receives the copy (an id: vendor, sandbox, contractor).")],
    purpose: Annotated[str, typer.Option(help="What the recipient may use it for.")],
    out: Annotated[Path, typer.Option(help="The watermarked copy to write (format from the name).")],
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD (valid through that day, UTC) or ISO time.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Watermark policy file (TOML or YAML).")] = None,
    override_risk: Annotated[str | None, typer.Option(
        "--override-risk", metavar="REASON", help="Release despite the risk policy; the reason is audited.")] = None,
    data: Annotated[Path | None, typer.Option(
        help="The registered table file of this version (default: where it was registered from, if unchanged).")
    ] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Write a copy carrying the recipient's watermark; registered, signed and audited."""
    with open_workspace(home) as ws:
        result = release_version(ws, ref, recipient=recipient, purpose=purpose, out=out, data=data,
                                     expires=expires, policy=policy, override_risk=override_risk)
    if fmt is Format.json:
        emit_json(result.to_json())
        return
    r, scheme = result.release, result.scheme
    console.print(f"released {r.dataset} to {r.recipient} as {out} (registered as {r.released_as}; release {r.id})")
    console.print(f"  expires  {r.expires.isoformat() if r.expires else 'never'}\n  digest   {r.digest}\n"
                  f"  marks    {result.marks:,} cells in {len(scheme.targets)} column(s); γ={scheme.fraction}, "
                  f"{scheme.code_length}-bit codeword, key {scheme.key_id}")
    console.print(utility_table(r.utility))
    for note in result.notes:
        console.print(f"  note: {note}")


def utility_table(utility: dict[str, Any]) -> Table:
    table = Table("column", "cells changed", "mean |Δ|", "max |Δ|", "KS / TV", title="utility cost")
    for name, cost in utility.get("columns", {}).items():
        share = f"{cost['changed']:,} of {cost['cells']:,}"
        if cost.get("kind") == "numeric":
            table.add_row(name, share, f"{cost['mean_abs_change']:.3g}", f"{cost['max_abs_change']:.3g}",
                          f"KS {cost['ks']:.4f}")
        else:
            table.add_row(name, share, "—", "—", f"TV {cost['tv']:.4f}")
    return table


def releases(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    status: Annotated[str | None, typer.Option(help="active | retired")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """List the releases of a dataset: recipient, purpose, expiry, status."""
    with open_workspace(home) as ws:
        found = list_releases(ws, name, status=status)
    if fmt is Format.json:
        emit_json([r.to_json() for r in found])
        return
    table = Table("release", "from", "as", "recipient", "purpose", "created", "expires", "status")
    for r in found:
        table.add_row(r.id, r.dataset, r.released_as or "—", r.recipient, r.purpose,
                      f"{r.created_at:%Y-%m-%d %H:%M}", f"{r.expires:%Y-%m-%d %H:%M}" if r.expires else "—", r.status)
    console.print(table)


def trace(
    file: Annotated[Path, typer.Argument(help="A leaked fragment (CSV, Parquet, JSON Lines).")],
    dataset: Annotated[str | None, typer.Option(help="Only check releases of this dataset.")] = None,
    top: Annotated[int, typer.Option(help="Candidates to show besides the named ones.")] = 5,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Name the release a leaked fragment came from, with the evidence; exit 1 when one is named."""
    with open_workspace(home) as ws:
        report = trace_file(ws, file, dataset)
    if fmt is Format.json:
        emit_json(report.to_json(top=top))
    else:
        console.print(report.to_text(top=top))
    if report.attributed:
        raise typer.Exit(1)


key_app = typer.Typer(no_args_is_help=True, help="The workspace's watermark secret.")


@key_app.command()
def rotate(
    destroy_previous: Annotated[bool, typer.Option(
        "--destroy-previous", help="Delete the old secret: its releases can no longer be traced.")] = False,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Start marking new releases with a new secret (the old one is kept for tracing unless destroyed)."""
    with open_workspace(home) as ws:
        old, new = keys.rotate(ws.settings.keys_dir, destroy_previous=destroy_previous)
        ws.record("watermark.key.rotate", new, details={"previous": old, "previous_destroyed": destroy_previous})
    if fmt is Format.json:
        emit_json({"previous": old, "active": new, "previous_destroyed": destroy_previous})
    else:
        console.print(f"watermark key {new} active" + (f"; {old} {'destroyed' if destroy_previous else 'retired'}"
                                                      if old else ""))


def install(app: typer.Typer) -> None:
    app.command()(release)
    app.command()(releases)
    app.command()(trace)
    app.add_typer(key_app, name="watermark-key")
