"""``synthguard lineage``: export a version's provenance as PROV-JSON, OpenLineage or in-toto."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from ..catalog.browse import lineage_chain
from ..provenance import openlineage, prov_json
from .output import HomeOption, emit_json, open_workspace


class LineageFormat(StrEnum):
    prov_json = "prov-json"
    openlineage = "openlineage"
    intoto = "intoto"


def lineage(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@N")],
    fmt: Annotated[LineageFormat, typer.Option("--format", "-f")] = LineageFormat.prov_json,
    home: HomeOption = None,
) -> None:
    """Print the version's lineage (the version and its ancestors)."""
    with open_workspace(home) as ws:
        chain = lineage_chain(ws, ref)
    if fmt is LineageFormat.prov_json:
        emit_json(json.loads(prov_json.to_prov_json(chain)))
    elif fmt is LineageFormat.openlineage:
        emit_json(openlineage.to_openlineage_events(chain))
    else:
        emit_json(chain[0].envelope)


def install(app: typer.Typer) -> None:
    app.command()(lineage)
