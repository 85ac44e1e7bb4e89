"""A small reverse proxy that adds AI disclosure in front of a storefront: ``synthguard disclose proxy
--upstream URL``. It is the ASGI disclosure middleware around an httpx forwarder, served by uvicorn.

Requests stream to the upstream unchanged except for hop-by-hop headers, Host and X-Forwarded-*;
responses stream back. HTML is decoded (the upstream may compress it) so the middleware can rewrite
it; every other response, compressed or not, is relayed byte for byte. Redirects to the upstream's own
origin are rewritten to stay on the proxy.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from urllib.parse import urlsplit

import httpx

from ..errors import InputError
from .declarations import Declaration, DeclarationSet
from .middleware import ASGIApp, DisclosureMiddleware, MiddlewareOptions, Receive, Scope, Send

log = logging.getLogger(__name__)
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade"}


class ReverseProxy:
    """Forward every HTTP request to ``upstream`` (ASGI app; lifespan closes the client)."""

    def __init__(self, upstream: str, *, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError("the upstream must be an http(s) URL", field="upstream")
        self.upstream = upstream.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self.transport, follow_redirects=False,
                                             timeout=httpx.Timeout(self.timeout))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets are not proxied
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = self.upstream + path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])
                   if k.decode("latin-1").lower() not in _HOP_BY_HOP | {"host"}]
        length = _header(scope, b"content-length")
        has_body = (length.isdigit() and int(length) > 0) or bool(_header(scope, b"transfer-encoding"))
        client_addr = (scope.get("client") or ("", 0))[0]
        headers += [("host", self.host), ("x-forwarded-host", _header(scope, b"host")),
                    ("x-forwarded-proto", scope.get("scheme", "http"))]
        if client_addr:
            previous = _header(scope, b"x-forwarded-for")
            headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
            headers.append(("x-forwarded-for", f"{previous}, {client_addr}" if previous else client_addr))
        request = self.client.build_request(scope["method"], url, headers=headers,
                                            content=_body(receive) if has_body else None)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("upstream %s failed: %s", url, exc)
            await _plain(send, 502, f"bad gateway: the upstream did not answer ({exc.__class__.__name__})\n")
            return
        try:
            html = response.headers.get("content-type", "").split(";")[0].strip().lower() == "text/html"
            out = []
            for key, value in response.headers.multi_items():
                lower = key.lower()
                if lower in _HOP_BY_HOP:
                    continue
                if html and lower in ("content-encoding", "content-length"):
                    continue  # the body is sent decoded; its length is known only at the end
                if lower == "location" and value.startswith(self.origin):
                    value = value[len(self.origin):] or "/"
                out.append((lower.encode("latin-1"), value.encode("latin-1")))
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            chunks = response.aiter_bytes() if html else response.aiter_raw()
            async for chunk in chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body"):
            return


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def proxy_app(upstream: str, declarations: DeclarationSet | Iterable[Declaration], *,
              options: MiddlewareOptions | None = None, timeout: float = 30.0,
              transport: httpx.AsyncBaseTransport | None = None) -> ASGIApp:
    """The disclosure middleware around a reverse proxy to ``upstream``."""
    return DisclosureMiddleware(ReverseProxy(upstream, timeout=timeout, transport=transport), declarations,
                                options=options or MiddlewareOptions())


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"expected HOST:PORT, not {listen!r}", field="listen")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(upstream: str, declarations: DeclarationSet | Iterable[Declaration], listen: str = "127.0.0.1:8080", *,
          options: MiddlewareOptions | None = None, timeout: float = 30.0) -> None:
    """Run the proxy until interrupted."""
    import uvicorn

    host, port = parse_listen(listen)
    uvicorn.run(proxy_app(upstream, declarations, options=options, timeout=timeout), host=host, port=port,
                log_level="warning", lifespan="on")
