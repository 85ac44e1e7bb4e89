"""Shared CLI plumbing: the ``--format`` option, opening the workspace, printing results."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console

from .. import config
from ..workspace import Workspace


class Format(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
HomeOption = Annotated[str | None, typer.Option("--home", envvar="SYNTHGUARD_HOME",
                                                help="Workspace directory (default ./.synthguard).")]

console = Console(highlight=False, soft_wrap=True)


def open_workspace(home: str | None) -> Workspace:
    return Workspace.open(config.resolve(home=home))


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def exit_with(ok: bool) -> None:
    """Policy findings exit 1 (DESIGN.md); success falls through to 0."""
    if not ok:
        raise typer.Exit(1)
