"""``synthguard serve`` and ``synthguard token …``: the HTTP service and its bearer tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import HomeOption, console, open_workspace

tokens = typer.Typer(no_args_is_help=True, help="Bearer tokens for the HTTP service.")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8731,
    gate_path: Annotated[list[str] | None, typer.Option(help="Webhook path prefix to guard, repeatable.")] = None,
    gate_policy: Annotated[str, typer.Option(help="block | flag for guarded paths")] = "block",
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API (deny by default: every route needs a bearer token)."""
    import uvicorn

    from ..server.app import create_app

    with open_workspace(home) as ws:
        uvicorn.run(create_app(ws, gated_paths=gate_path or (), gate_policy=gate_policy), host=host, port=port,
                    log_level="info")


@tokens.command("create")
def create(name: Annotated[str, typer.Argument(help="Who uses it, e.g. crm-sync.")], home: HomeOption = None) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    from ..server.tokens import create_token

    with open_workspace(home) as ws:
        console.print(create_token(ws, name))


@tokens.command("revoke")
def revoke(name: Annotated[str, typer.Argument()], home: HomeOption = None) -> None:
    """Revoke every active token of that name."""
    from ..server.tokens import revoke_token

    with open_workspace(home) as ws:
        revoke_token(ws, name)
    console.print(f"revoked {name}")


def install(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(tokens, name="token")
