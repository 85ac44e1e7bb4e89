"""``synthguard gate check`` and ``synthguard stamp``: the gate from the shell."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..gate import GateOptions, run_gate
from ..gate.stamp import stamp as stamp_table
from .output import Format, FormatOption, HomeOption, console, emit_json, open_workspace

app = typer.Typer(no_args_is_help=True, help="Keep synthetic rows out of production.")


@contextmanager
def _input_path(given: str, input_format: str | None) -> Iterator[Path]:
    """A readable path: the file itself, or standard input spooled to a temporary file."""
    if given != "-":
        yield Path(given)
        return
    if input_format not in ("csv", "jsonl", "parquet"):
        raise InputError("reading standard input needs --input-format csv|jsonl|parquet", field="input-format")
    with tempfile.TemporaryDirectory(prefix="synthguard-stdin-") as tmp:
        path = Path(tmp) / f"stdin.{input_format}"
        with path.open("wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
        yield path


@app.command()
def check(
    input_path: Annotated[str, typer.Argument(metavar="INPUT", help="Table file, or - for stdin.")],
    policy: Annotated[str, typer.Option(help="block | quarantine | flag")] = "block",
    out: Annotated[Path | None, typer.Option(help="Write clean rows here (flag: all rows + reason).")] = None,
    quarantine: Annotated[Path | None, typer.Option(help="Quarantine directory (default: <home>/quarantine).")] = None,
    input_format: Annotated[str | None, typer.Option(help="Format of standard input.")] = None,
    fingerprint_columns: Annotated[str | None, typer.Option(
        help="Check only this fingerprint set (comma-separated); input lacking a column is an error.")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Find synthetic rows; exit 1 under --policy block when any are found."""
    with open_workspace(home) as ws, _input_path(input_path, input_format) as source:
        options = GateOptions(policy=policy, out=out,
                              quarantine=quarantine or ws.settings.home / "quarantine")
        columns = [c.strip() for c in fingerprint_columns.split(",")] if fingerprint_columns else None
        try:
            run = run_gate(ws.gate_for(columns), source, options)
        except InputError as exc:
            ws.record("gate.check", input_path, outcome="failure", details={"error": exc.diagnostics()})
            raise
        ws.record("gate.block" if run.blocked else "gate.check", input_path,
                  outcome="denied" if run.blocked else "success", details=run.to_json())
    summary = run.to_json()
    if fmt is Format.json:
        emit_json(summary)
    else:
        console.print(f"{summary['invariant']}; {run.synthetic} synthetic "
                      f"({', '.join(f'{k}: {v}' for k, v in run.by_detector.items()) or 'none'})")
        if run.versions:
            console.print("matched versions: " + ", ".join(f"{k} ({v})" for k, v in run.versions.items()))
        if run.quarantine and run.quarantined:
            console.print(f"quarantined rows and sidecar: {run.quarantine}")
        if run.blocked:
            console.print("BLOCKED: synthetic rows must not pass (policy block)")
    if run.blocked:
        raise typer.Exit(1)


def stamp(
    source: Annotated[Path, typer.Argument(help="Table to stamp.")],
    out: Annotated[Path, typer.Option(help="Stamped copy (format from the name).")],
    dataset: Annotated[str | None, typer.Option(help="NAME@N this copy belongs to.")] = None,
    marker_column: Annotated[str | None, typer.Option(help="Add a boolean marker column of this name.")] = None,
    home: HomeOption = None,
) -> None:
    """Write a copy carrying the synthetic tags (Parquet metadata, optional marker column)."""
    digest = None
    with open_workspace(home) as ws:
        if dataset:
            digest = ws.lineage(dataset)[0].digest
        rows = stamp_table(source, out, ref=dataset, digest=digest, marker_column=marker_column)
        ws.record("dataset.stamp", dataset or str(source), digest=digest or "", details={"out": str(out), "rows": rows})
    console.print(f"wrote {out} ({rows} rows) tagged synthetic")


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="gate")
    root.command()(stamp)
