"""``synthguard risk``: re-identification risk of a synthetic table against the real one."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..atomicfile import write_atomic
from ..errors import InputError
from ..risk import AttackOptions, RiskOptions, RiskPolicy, assess, assess_and_store
from ..risk.html import render
from ..risk.policy import evaluate
from ..risk.records import canonical
from ..risk.report import RiskReport
from .output import HomeOption, console, open_workspace


class RiskFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def _columns(groups: list[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    if not groups:
        return None
    if len(groups) != 2:
        raise InputError("--aux-cols takes two comma-separated groups, e.g. --aux-cols age,zip --aux-cols sex,job",
                         field="aux-cols")
    first, second = (tuple(c.strip() for c in g.split(",") if c.strip()) for g in groups)
    return first, second


def _synthetic_path(value: str) -> Path:
    path = Path(value)
    if not path.exists() and "@" in value and "/" not in value:
        raise InputError(f"{value} names a version, but the catalogue keeps digests, not files; give the file "
                         f"with --synthetic PATH --dataset {value}", field="synthetic")
    return path


def risk(
    real: Annotated[Path, typer.Option(help="Real (training) records: CSV, Parquet or JSON Lines.")],
    synthetic: Annotated[str, typer.Option(help="Synthetic records (a file; see --dataset).")],
    control: Annotated[Path | None, typer.Option(help="Real records held out of training (holdout).")] = None,
    secret: Annotated[list[str] | None, typer.Option(help="Column to infer (repeatable).")] = None,
    aux_cols: Annotated[list[str] | None, typer.Option(
        help="Linkability split: give twice, comma-separated (default: first half vs second half).")] = None,
    dataset: Annotated[str | None, typer.Option(help="NAME@N the synthetic file belongs to; the report is "
                                                     "stored with it.")] = None,
    n_attacks: Annotated[int, typer.Option(help="Attacks per attack type.")] = 500,
    n_cols: Annotated[int, typer.Option(help="Columns per multivariate singling-out query.")] = 3,
    seed: Annotated[int | None, typer.Option(help="Random seed (repeatable runs).")] = None,
    no_distances: Annotated[bool, typer.Option("--no-distances", help="Skip DCR / NNDR.")] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not store the report (no workspace needed).")]
    = False,
    out: Annotated[Path | None, typer.Option(help="Also write the report here (JSON or HTML per --format).")] = None,
    home: HomeOption = None,
    fmt: Annotated[RiskFormat, typer.Option("--format", "-f", help="Output format.")] = RiskFormat.text,
) -> None:
    """Measure singling-out, linkability and inference risk (Anonymeter's definitions) and DCR / NNDR.

    Exit 1 when a [risk] policy maximum of the workspace is exceeded."""
    options = RiskOptions(
        attack=AttackOptions(n_attacks=n_attacks, n_cols=n_cols, aux_cols=_columns(aux_cols),
                             secrets=tuple(secret or ())),
        distances=not no_distances, seed=seed)
    synthetic_path = _synthetic_path(synthetic)
    report_id = None
    policy = RiskPolicy()
    if no_store:
        if dataset:
            raise InputError("--dataset stores the report with the version; it cannot go with --no-store",
                             field="dataset")
        report = assess(real, synthetic_path, control, options)
    else:
        with open_workspace(home) as ws:
            report, report_id = assess_and_store(ws, real, synthetic_path, control, options, dataset=dataset)
            policy = RiskPolicy.load(ws.settings.config_path)
    violations = evaluate(policy, report)
    text = _render(report, fmt, report_id)
    if out is not None:
        write_atomic(out, text)
    if fmt is RiskFormat.text:
        for line in report.summary():
            console.print(line, markup=False)
        if report_id is not None:
            console.print(f"stored as risk report {report_id}" + (f" of {dataset}" if dataset else ""))
        for v in violations:
            console.print(f"ABOVE POLICY: {v.describe()}", markup=False)
    elif out is None:
        typer.echo(text, nl=False)
    if violations:
        raise typer.Exit(1)


def _render(report: RiskReport, fmt: RiskFormat, report_id: int | None) -> str:
    if fmt is RiskFormat.html:
        return render(report)
    data = json.loads(canonical(report).decode()) | ({"stored_id": report_id} if report_id is not None else {})
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def install(app: typer.Typer) -> None:
    app.command()(risk)

