"""``synthguard init``: create or migrate a workspace."""

from __future__ import annotations

import typer

from .. import config
from ..workspace import Workspace
from .output import Format, FormatOption, HomeOption, console, emit_json


def init(home: HomeOption = None, fmt: FormatOption = Format.text) -> None:
    """Create the workspace: home directory, database, Ed25519 signing key and config file."""
    settings = config.resolve(home=home)
    with Workspace.init(settings) as ws:
        info = {"home": str(settings.home), "key_id": ws.signer.key_id, "workspace_id": ws.workspace_id,
                "origin": ws.origin}
    if fmt is Format.json:
        emit_json(info)
        return
    console.print(f"workspace ready at {info['home']}")
    console.print(f"signing key {info['key_id']} (private key mode 0600 in {settings.keys_dir})")


def install(app: typer.Typer) -> None:
    app.command()(init)
