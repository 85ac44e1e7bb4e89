"""``synthguard scan``: Azure IaC and exported-configuration checks from the shell.

A workspace is optional: when one exists (``--home`` / ``SYNTHGUARD_HOME``), its registered
datasets count as synthetic-data markers and the scan is recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import config
from ..atomicfile import write_atomic
from ..errors import InputError, SynthGuardError
from ..scan import Baseline, Catalogue, ScanOptions, ScanResult, Severity, scan, write_baseline
from ..scan.checkov import merge as merge_checkov
from ..scan.checkov import run_checkov
from ..scan.combine import combine
from ..scan.live import DigestIndex, redact, scan_storage
from ..scan.outputs import TableWriter, get_writer
from ..workspace import Workspace
from .output import console


class ScanFormat(StrEnum):
    table = "table"
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


def _threshold(value: str) -> Severity | None:
    return None if value.strip().lower() == "none" else Severity.parse(value, field="fail-on")


def _workspace(home: str | None) -> Workspace | None:
    """The workspace at ``--home`` (which must exist) or at $SYNTHGUARD_HOME / ./.synthguard (if it exists)."""
    settings = config.resolve(home=home)
    if not settings.config_path.exists():
        if home:  # asked for explicitly: a typo must not silently drop the catalogue
            raise InputError("no workspace here; run 'synthguard init' first", path=str(settings.home))
        return None
    return Workspace.open(settings)


def scan_command(
    paths: Annotated[list[str] | None, typer.Argument(
        metavar="[PATH]...", help="Files or directories to scan.")] = None,
    fmt: Annotated[ScanFormat, typer.Option("--format", "-f", help="Report format.")] = ScanFormat.table,
    out: Annotated[Path | None, typer.Option(help="Write the report here (atomically) instead of stdout.")] = None,
    fail_on: Annotated[str, typer.Option(
        help="Exit 1 when a finding is at or above: info|low|medium|high|critical|none.")] = "low",
    baseline: Annotated[Path | None, typer.Option(help="YAML / JSON file of accepted findings.")] = None,
    sas_max_days: Annotated[int, typer.Option(help="Report SAS tokens valid longer than this.")] = 7,
    write_baseline_to: Annotated[Path | None, typer.Option(
        "--write-baseline", help="Accept every current finding into this baseline file.")] = None,
    reason: Annotated[str | None, typer.Option(help="Reason recorded with --write-baseline.")] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry (YYYY-MM-DD) for --write-baseline.")] = None,
    home: Annotated[str | None, typer.Option("--home", help="Workspace whose catalogue marks synthetic data "
                                                            "(default: $SYNTHGUARD_HOME when it exists).")] = None,
    storage: Annotated[list[str] | None, typer.Option(
        help="Also scan this live storage account (connection string or account URL, SAS allowed).")] = None,
    with_checkov: Annotated[bool, typer.Option(help="Also run Checkov on PATH and merge its findings.")] = False,
) -> None:
    """Find where synthetic data can leak: ARM, Bicep, Terraform, Kubernetes, Entra / ADF / DevOps exports."""
    paths, storage = paths or [], storage or []
    if not paths and not storage:
        raise InputError("give PATH... to scan, or --storage CONNECTION_STRING_OR_URL", field="paths")
    if with_checkov and not paths:
        raise InputError("--with-checkov needs PATH... (Checkov reads files, not storage accounts)",
                         field="with-checkov")
    threshold = _threshold(fail_on)
    if sas_max_days < 0:
        raise InputError("must be zero or more", field="sas-max-days")
    expiry = _baseline_expiry(write_baseline_to, reason, expires)
    ws = _workspace(home)
    try:
        options = ScanOptions(sas_max_days=sas_max_days)
        if ws is not None:
            options = replace(options, catalogue=Catalogue.from_workspace(ws))
        targets = ",".join([*paths, *(redact(t) for t in storage)])  # never an account key in the log
        try:
            loaded = Baseline.load(baseline) if baseline else None
            result = _run(paths, storage, with_checkov, options, loaded, ws)
        except SynthGuardError as exc:
            if ws is not None:
                ws.record("scan.run", targets, outcome="failure", details={"error": exc.diagnostics()})
            raise
        if ws is not None:
            ws.record("scan.run", targets, outcome="success", details={
                **result.to_json()["summary"], "fail_on": fail_on, "baseline": str(baseline or "")})
    finally:
        if ws is not None:
            ws.close()
    if write_baseline_to is not None and expiry is not None and reason is not None:
        count = write_baseline(result.findings, write_baseline_to, reason=reason, expires=expiry)
        console.print(f"accepted {count} finding(s) into {write_baseline_to} until {expiry.isoformat()}")
        return
    _emit(result, fmt, out)
    if threshold is not None and result.at_or_above(threshold):
        raise typer.Exit(1)


def _run(paths: list[str], storage: list[str], with_checkov: bool, options: ScanOptions, baseline: Baseline | None,
         ws: Workspace | None) -> ScanResult:
    """The IaC scan alone keeps its own baseline handling; live storage and Checkov are combined after."""
    if not storage and not with_checkov:
        return scan(paths, options, baseline=baseline)
    results = [scan(paths, options)] if paths else []
    digests = DigestIndex.from_workspace(ws) if ws is not None else None
    results += [scan_storage(target, digests=digests) for target in storage]
    if not with_checkov:
        return combine(results, baseline=baseline, now=options.now)
    run = run_checkov(paths)
    merged, _ = merge_checkov([f for r in results for f in r.findings], run.findings)
    return combine(results, extra_findings=merged, extra_notes=run.notes, baseline=baseline, now=options.now)


def _baseline_expiry(target: Path | None, reason: str | None, expires: str | None) -> date | None:
    if target is None:
        return None
    if not reason or not reason.strip():
        raise InputError("--write-baseline needs --reason", field="reason")
    if not expires:
        raise InputError("--write-baseline needs --expires YYYY-MM-DD", field="expires")
    try:
        return date.fromisoformat(expires)
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {expires!r}", field="expires") from None


def _emit(result: ScanResult, fmt: ScanFormat, out: Path | None) -> None:
    writer = get_writer(fmt.value)
    if out is not None:
        write_atomic(out, writer.render(result))
        console.print(f"{len(result.findings)} finding(s) in {result.files_scanned} file(s); report: {out}")
    elif isinstance(writer, TableWriter):
        console.print(writer.renderable(result))
    else:
        typer.echo(writer.render(result), nl=False)


def install(root: typer.Typer) -> None:
    root.command("scan")(scan_command)
