"""``synthguard key …``: signing-key management."""

from __future__ import annotations

import typer

from .output import Format, FormatOption, HomeOption, console, emit_json, open_workspace

app = typer.Typer(no_args_is_help=True, help="Signing keys.")


@app.command()
def rotate(home: HomeOption = None, fmt: FormatOption = Format.text) -> None:
    """Make a new signing key active; old public keys stay trusted for verification."""
    with open_workspace(home) as ws:
        old, new = ws.rotate_key()
    if fmt is Format.json:
        emit_json({"previous": old, "active": new})
    else:
        console.print(f"active signing key is now {new}; {old} is kept for verification only")


@app.command("list")
def list_keys(home: HomeOption = None, fmt: FormatOption = Format.text) -> None:
    """Trusted public keys (the active one marked)."""
    with open_workspace(home) as ws:
        keys = sorted(ws.keyring.keys)
        active = ws.signer.key_id
    if fmt is Format.json:
        emit_json({"active": active, "keys": keys})
    else:
        for key in keys:
            console.print(f"{'*' if key == active else ' '} {key}")
