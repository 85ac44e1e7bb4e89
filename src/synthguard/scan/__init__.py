"""Azure scanning: find where synthetic data can leak in IaC (ARM, Bicep, Terraform, Kubernetes) and
exported Entra / Data Factory / DevOps JSON, and report it as a table, JSON, SARIF or JUnit.

::

    from synthguard.scan import scan_paths
    result = scan_paths(["infra/"])                    # no workspace needed
    result = scan_paths(["infra/"], workspace=ws)      # registered datasets count as synthetic too
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .baseline import Baseline, BaselineEntry, write_baseline
from .checks import CHECKS, PARSE_ERROR, all_check_infos
from .model import CheckInfo, Finding, Note, ScanResult, Severity, Suppressed
from .options import ScanOptions
from .runner import scan
from .synthetic import Catalogue


def scan_paths(paths: Sequence[str | Path], *, workspace: Any = None, baseline: str | Path | Baseline | None = None,
               options: ScanOptions | None = None) -> ScanResult:
    """Scan ``paths``; with a ``Workspace``, registered dataset names count as synthetic-data markers."""
    options = options or ScanOptions()
    if workspace is not None:
        options = replace(options, catalogue=Catalogue.from_workspace(workspace))
    loaded = Baseline.load(baseline) if isinstance(baseline, str | Path) else baseline
    return scan(paths, options, baseline=loaded)


__all__ = ["CHECKS", "PARSE_ERROR", "Baseline", "BaselineEntry", "Catalogue", "CheckInfo", "Finding", "Note",
           "ScanOptions", "ScanResult", "Severity", "Suppressed", "all_check_infos", "scan", "scan_paths",
           "write_baseline"]
