"""``GET /v1/datasets``: the catalogue as JSON (same shape as ``synthguard ls --format json``)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request

from ...catalog.browse import summary
from ...workspace import Workspace

router = APIRouter(tags=["catalogue"])


@router.get("")
async def list_datasets(request: Request) -> list[dict[str, Any]]:
    ws: Workspace = request.app.state.workspace
    versions = await anyio.to_thread.run_sync(ws.versions)
    return [summary(v) for v in versions]
