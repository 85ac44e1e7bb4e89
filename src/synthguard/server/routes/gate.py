"""``POST /v1/gate/check``: check a body of records; and the middleware that guards webhook paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, HTTPException, Request

from ...errors import InputError
from ...gate.middleware import Decision, GateMiddleware, result_body
from ...gate.records import records_of, table_of
from ...workspace import Workspace

router = APIRouter(tags=["gate"])


@router.post("/check")
async def check(request: Request) -> dict[str, Any]:
    """Which of the posted records are synthetic, and why (always 200; the caller decides)."""
    ws: Workspace = request.app.state.workspace
    body = await request.body()
    try:
        result = await anyio.to_thread.run_sync(lambda: ws.gate.check(table_of(records_of(body))))
    except InputError as exc:
        raise HTTPException(400, exc.diagnostics()) from exc
    answer = result_body(result)
    await anyio.to_thread.run_sync(lambda: ws.record(
        "gate.check", "http:/v1/gate/check", details={k: answer[k] for k in ("records", "synthetic")}))
    return answer


def guard(app: FastAPI, ws: Workspace, paths: Sequence[str], policy: str) -> None:
    """Wrap ``app`` so webhook bodies on ``paths`` pass the gate first; decisions are audited."""

    def audit(decision: Decision) -> None:
        ws.record("gate.block" if decision.blocked else "gate.check", f"http:{decision.path}",
                  outcome="denied" if decision.blocked else "success",
                  details={"records": decision.records, "synthetic": decision.synthetic,
                           "policy": decision.policy, "reasons": {str(k): v for k, v in decision.reasons.items()}})

    app.add_middleware(GateMiddleware, gate=lambda: ws.gate, paths=paths, policy=policy, on_decision=audit)
