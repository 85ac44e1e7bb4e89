"""``register``, ``verify``, ``export-bundle``, ``ls``, ``show``: the catalogue from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..atomicfile import write_atomic
from ..catalog import bundle, naming
from ..catalog.browse import Filters, detail, lineage_chain, list_versions, summary
from ..errors import InputError
from ..fingerprint.sets import FingerprintRequest
from ..risk.records import show_lines as risk_show_lines
from .output import Format, FormatOption, HomeOption, console, emit_json, exit_with, open_workspace
from .progress import byte_progress

Paths = Annotated[list[Path], typer.Argument(help="Files or directories (CSV, Parquet, JSON Lines).")]


def register(
    paths: Paths,
    name: Annotated[str, typer.Option(help="Dataset name.")],
    generator: Annotated[str, typer.Option(help="Generator and version, e.g. 'ctgan 0.10.1'.")],
    source: Annotated[str, typer.Option(help="The real data it was made from.")],
    purpose: Annotated[str, typer.Option(help="What it is for.")],
    owner: Annotated[str, typer.Option(help="Accountable owner (e-mail).")],
    tag: Annotated[list[str] | None, typer.Option(help="k=v, repeatable.")] = None,
    classification: Annotated[str, typer.Option(help="synthetic | mixed")] = "synthetic",
    fingerprint_columns: Annotated[str | None, typer.Option(
        help="Comma-separated columns to fingerprint for the gate (default: every column).")] = None,
    normalise: Annotated[list[str] | None, typer.Option(help="column=lower-trim|trim|lower|digits-only")] = None,
    no_fingerprints: Annotated[bool, typer.Option("--no-fingerprints", help="Do not index rows.")] = False,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Register files as a signed version NAME@N (same content → same version)."""
    request = FingerprintRequest.parse(fingerprint_columns, normalise or [])
    with open_workspace(home) as ws, byte_progress("hashing") as progress:
        result = ws.register(paths, name=name, generator=generator, source=source, purpose=purpose,
                             owner=owner, tags=tag or [], classification=classification, progress=progress,
                             fingerprints=request, fingerprint=not no_fingerprints)
    v = result.version
    if fmt is Format.json:
        emit_json({"id": v.id, "ref": v.ref, "version": v.version, "digest": v.digest,
                   "created": result.created, "rows": v.rows, "files": len(v.files)})
        return
    state = "registered" if result.created else "already registered (same content)"
    console.print(f"{v.ref} {state}\n  id      {v.id}\n  digest  {v.digest}\n"
                  f"  rows    {v.rows} in {len(v.files)} file(s)")


def verify(
    paths: Paths,
    name: Annotated[str | None, typer.Option("--name", help="NAME or NAME@N to check against.")] = None,
    bundle_file: Annotated[Path | None, typer.Option("--bundle", help="Offline: a bundle file.")] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Offline: trusted public key (PEM).")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Recompute digests and check the signed attestation; exit 1 on any difference."""
    if (bundle_file is None) != (key is None):
        raise InputError("offline verification needs both --bundle and --key")
    if bundle_file is not None and key is not None:
        result = bundle.verify_offline(paths, bundle_file, key)
    else:
        with open_workspace(home) as ws, byte_progress("hashing") as progress:
            result = ws.verify(paths, name, progress=progress)
    if fmt is Format.json:
        emit_json(result.to_json())
    else:
        console.print(("verified: " if result.ok else "NOT verified: ") + result.reason)
    exit_with(result.ok)


def export_bundle(
    ref: Annotated[str, typer.Argument(help="NAME@N")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default NAME@N.bundle.json).")] = None,
    home: HomeOption = None,
) -> None:
    """Write the offline verification bundle of a version (for auditors)."""
    with open_workspace(home) as ws:
        version = lineage_chain(ws, ref)[0]
        target = out or Path(f"{version.ref}.bundle.json")
        write_atomic(target, json.dumps(bundle.bundle_of(version), indent=2, sort_keys=True))
        ws.record("dataset.export_bundle", version.ref, digest=version.digest, details={"out": str(target)})
    console.print(f"wrote {target}; verify with: synthguard verify PATH --bundle {target} --key PUBKEY.pem")


def retire(ref: Annotated[str, typer.Argument(help="NAME@N")], home: HomeOption = None) -> None:
    """Take a version's fingerprints out of the gate's index (the version stays in the catalogue)."""
    with open_workspace(home) as ws:
        count = ws.retire(ref)
    console.print(f"{ref}: {count} fingerprint segment(s) retired")


def tag(
    ref: Annotated[str, typer.Argument(help="NAME@N")],
    pairs: Annotated[list[str] | None, typer.Argument(help="k=v to set")] = None,
    remove: Annotated[list[str] | None, typer.Option(help="Tag key to remove, repeatable.")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Set or remove tags on a version (each change is audited)."""
    with open_workspace(home) as ws:
        version = ws.tag(ref, naming.parse_tags(pairs or []), remove or [])
    if fmt is Format.json:
        emit_json(summary(version))
    else:
        console.print(f"{version.ref} tags: " + (", ".join(f"{k}={v}" for k, v in version.tags.items()) or "—"))


def ls(
    tag: Annotated[list[str] | None, typer.Option(help="k=v, repeatable (all must match).")] = None,
    generator: Annotated[str | None, typer.Option(help="Generator contains this text.")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner equals this.")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """List registered dataset versions."""
    with open_workspace(home) as ws:
        versions = list_versions(ws, Filters(naming.parse_tags(tag or []), generator, owner))
    if fmt is Format.json:
        emit_json([summary(v) for v in versions])
        return
    table = Table("ref", "rows", "generator", "owner", "created", "digest")
    for v in versions:
        table.add_row(v.ref, str(v.rows), v.generator, v.owner, f"{v.created_at:%Y-%m-%d %H:%M}",
                      v.digest[:19] + "…")
    console.print(table)


def show(ref: Annotated[str, typer.Argument(help="NAME or NAME@N")], home: HomeOption = None,
         fmt: FormatOption = Format.text) -> None:
    """Show a version (or every version of a dataset): who, when, from what, digests, parent."""
    name, number = naming.parse_ref(ref)
    with open_workspace(home) as ws:
        versions = lineage_chain(ws, ref) if number else list_versions(ws, Filters({}, name=name))
        if number:
            versions = versions[:1]
        risks = {v.id: risk_show_lines(ws, v.id) for v in versions}  # newest risk report, if any
    if fmt is Format.json:
        emit_json([detail(v) | {"risk_report": risks[v.id][1]} for v in versions])
        return
    for v in versions:
        console.print(f"[bold]{v.ref}[/bold]  {v.classification}  parent: {v.parent or '—'}")
        for label, value in (("id", v.id), ("digest", v.digest), ("generator", v.generator),
                             ("source", v.source), ("purpose", v.purpose), ("owner", v.owner),
                             ("created", f"{v.created_at:%Y-%m-%d %H:%M:%S} UTC by {v.created_by}"),
                             ("rows", str(v.rows)), ("tags", ", ".join(f"{k}={t}" for k, t in v.tags.items()))):
            console.print(f"  {label:<10}{value}")
        for t in v.tables:
            console.print(f"  table     {t.path} ({t.format}, {t.rows} rows): "
                          + ", ".join(c.name for c in t.columns))
        for f in v.files:
            console.print(f"  file      {f.path}  {f.size} B  sha256:{f.sha256}")
        for line in risks[v.id][0]:
            console.print(f"  {line}", markup=False)


def install(app: typer.Typer) -> None:
    app.command()(register)
    app.command()(verify)
    app.command("export-bundle")(export_bundle)
    app.command()(tag)
    app.command()(retire)
    app.command()(ls)
    app.command()(show)
