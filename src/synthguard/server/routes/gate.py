"""``POST /v1/gate/check``: check a body of records; and the middleware that guards webhook paths."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, HTTPException, Request

from ...errors import InputError
from ...gate import Gate
from ...gate.middleware import Decision, GateMiddleware, result_body
from ...gate.records import records_of, table_of
from ...workspace import Workspace

router = APIRouter(tags=["gate"])

GATE_REFRESH_SECONDS = 2.0


class CachedGate:
    """The workspace's gate, rebuilt at most every ``GATE_REFRESH_SECONDS``.

    Building a gate reads the config, queries the fingerprint sets and releases and opens their
    indexes: too much for every webhook call. A version registered or retired elsewhere reaches a
    running server within the refresh interval.
    """

    def __init__(self, ws: Workspace, refresh_seconds: float = GATE_REFRESH_SECONDS) -> None:
        self._ws, self._refresh = ws, refresh_seconds
        self._gate: Gate | None = None
        self._built_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> Gate:
        with self._lock:
            now = time.monotonic()
            if self._gate is None or now - self._built_at >= self._refresh:
                self._gate, self._built_at = self._ws.gate, now
            return self._gate


def cached_gate(app: FastAPI, ws: Workspace) -> CachedGate:
    """One cache per app, shared by the check route and the webhook guard."""
    if not isinstance(getattr(app.state, "gate", None), CachedGate):
        app.state.gate = CachedGate(ws)
    cache: CachedGate = app.state.gate
    return cache


@router.post("/check")
async def check(request: Request) -> dict[str, Any]:
    """Which of the posted records are synthetic, and why (always 200; the caller decides)."""
    ws: Workspace = request.app.state.workspace
    body = await request.body()
    try:
        gate = cached_gate(request.app, ws)
        result = await anyio.to_thread.run_sync(lambda: gate().check(table_of(records_of(body))))
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

    app.add_middleware(GateMiddleware, gate=cached_gate(app, ws), paths=paths, policy=policy, on_decision=audit)
