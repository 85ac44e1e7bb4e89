"""ASGI middleware that gates sync webhooks: JSON record bodies are checked before the app sees them.

Under ``block`` a request carrying synthetic records is answered 422 with one reason per record
and never reaches the app; under ``flag`` it passes with ``X-SynthGuard-Synthetic`` /
``X-SynthGuard-Reasons`` response headers. Every decision is handed to ``on_decision`` (the
workspace's audit log) before the response is sent. Pure ASGI, so it wraps FastAPI, Starlette,
Django (ASGI) or any other ASGI app.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from ..errors import InputError
from .check import Gate, GateResult
from .records import MAX_BODY_BYTES, records_of, table_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Decision:
    path: str
    records: int
    synthetic: int
    policy: str
    reasons: dict[int, str]

    @property
    def blocked(self) -> bool:
        return self.policy == "block" and self.synthetic > 0


def result_body(result: GateResult) -> dict[str, Any]:
    """The per-record JSON answer shared by the middleware's 422 and the check endpoint."""
    return {"records": result.rows, "synthetic": result.synthetic,
            "findings": [{"index": i, "detector": m.detector, "reason": m.reason, "version": m.version}
                         for i, m in sorted(result.matches.items())]}


class GateMiddleware:
    def __init__(self, app: ASGIApp, gate: Callable[[], Gate], *, paths: Sequence[str] = ("/",),
                 policy: str = "block", on_decision: Callable[[Decision], None] | None = None) -> None:
        if policy not in ("block", "flag"):
            raise InputError(f"middleware policy must be block or flag, not {policy!r}", field="policy")
        self.app, self.gate, self.paths, self.policy = app, gate, tuple(paths), policy
        self.on_decision = on_decision

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            await _json(send, 413, {"error": f"body over {MAX_BODY_BYTES >> 20} MiB"})
            return
        try:
            result = await anyio.to_thread.run_sync(lambda: self.gate().check(table_of(records_of(body))))
        except InputError as exc:
            await _json(send, 400, {"error": exc.diagnostics()})
            return
        reasons = {i: r for i, r in enumerate(result.reasons()) if r is not None}
        decision = Decision(scope["path"], result.rows, result.synthetic, self.policy, reasons)
        if self.on_decision is not None:
            await anyio.to_thread.run_sync(self.on_decision, decision)
        if decision.blocked:
            await _json(send, 422, {"error": "synthetic records must not reach production", **result_body(result)})
            return
        await self.app(scope, _replay(body), _with_headers(send, result))

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return False
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        return b"json" in content_type and any(scope["path"].startswith(p) for p in self.paths)


async def _read_body(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _with_headers(send: Send, result: GateResult) -> Send:
    if not result.synthetic:
        return send
    extra = [(b"x-synthguard-synthetic", str(result.synthetic).encode()),
             (b"x-synthguard-reasons", json.dumps({str(i): r for i, r in enumerate(result.reasons()) if r})
              .encode("ascii", "backslashreplace")[:4000])]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
