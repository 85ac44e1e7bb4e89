"""Bearer-token authentication: a FastAPI dependency that refuses anything without a valid token."""

from __future__ import annotations

import anyio.to_thread
from fastapi import HTTPException, Request, status

from ..workspace import Workspace
from .tokens import token_owner


async def require_token(request: Request) -> str:
    ws: Workspace = request.app.state.workspace
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    owner = await anyio.to_thread.run_sync(token_owner, ws, token) if scheme.lower() == "bearer" and token else None
    if owner is None:
        await anyio.to_thread.run_sync(lambda: ws.record("authz.deny", request.url.path, outcome="denied"))
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.actor = owner
    return owner
