"""The HTTP service: one FastAPI app over one Workspace, one router per capability.

Deny by default: every route but ``/healthz`` needs ``Authorization: Bearer <token>`` (tokens from
``synthguard token create``); webhook paths given to ``create_app(gated_paths=…)`` are guarded by
the gate middleware.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, FastAPI

from ..workspace import Workspace
from .auth import require_token
from .routes import catalog, gate


def create_app(ws: Workspace, *, gated_paths: Sequence[str] = (), gate_policy: str = "block") -> FastAPI:
    app = FastAPI(title="SynthGuard", version="0.1.0")
    app.state.workspace = ws
    secured = [Depends(require_token)]
    app.include_router(gate.router, prefix="/v1/gate", dependencies=secured)
    app.include_router(catalog.router, prefix="/v1/datasets", dependencies=secured)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if gated_paths:
        gate.guard(app, ws, gated_paths, gate_policy)
    return app
