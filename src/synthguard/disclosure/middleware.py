"""ASGI and WSGI middleware that adds AI disclosure to HTML responses of apps whose templates you
cannot change.

Only ``text/html`` responses without a content encoding are buffered (up to ``max_bytes``) and
rewritten; everything else (images, JSON, compressed or streamed bodies, HEAD, 204 / 304) passes
through byte for byte, message by message. A rewritten response gets a corrected Content-Length, loses
its (now wrong) ETag / Content-MD5, and carries ``AI-Disclosure`` (draft-abaris-aicdh: an HTTP
structured-field dictionary). An HTML response over the limit is sent as it came, unrewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import anyio.to_thread

from .declarations import Declaration, DeclarationSet, as_set
from .rewriter import RewriteOptions, RewriteResult, rewrite_page

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_THREAD_OVER = 256 << 10  # rewrite bigger pages off the event loop
_DROP_WHEN_CHANGED = {b"content-length", b"etag", b"content-md5"}


@dataclass(frozen=True)
class MiddlewareOptions:
    max_bytes: int = 5 << 20
    rewrite: RewriteOptions = field(default_factory=RewriteOptions)
    header: bool = True  # send AI-Disclosure on pages with AI-generated items
    stylesheet_path: str | None = None  # serve the label stylesheet at this path (and link it from pages)


def stylesheet() -> bytes:
    return resources.files("synthguard.disclosure").joinpath("static/synthguard-disclosure.css").read_bytes()


def disclosure_header(result: RewriteResult) -> bytes:
    """``mode=ai-modified``: a page that mixes AI-generated items into human-made content."""
    return b"mode=ai-modified" if result.items else b"mode=none"


def _rewrite_options(options: MiddlewareOptions) -> RewriteOptions:
    if options.stylesheet_path and not options.rewrite.stylesheet:
        return RewriteOptions(**{**options.rewrite.__dict__, "stylesheet": options.stylesheet_path})
    return options.rewrite


def _is_html(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "text/html"


class DisclosureMiddleware:
    """Wrap an ASGI app; ``on_rewrite(path, result)`` is called for every page that had AI items."""

    def __init__(self, app: ASGIApp, declarations: DeclarationSet | Iterable[Declaration], *,
                 options: MiddlewareOptions = MiddlewareOptions(),
                 on_rewrite: Callable[[str, RewriteResult], None] | None = None) -> None:
        self.app, self.declarations, self.options = app, as_set(declarations), options
        self.rewrite_options = _rewrite_options(options)
        self.on_rewrite = on_rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.options.stylesheet_path and scope["path"] == self.options.stylesheet_path:
            await _send_stylesheet(send, scope["method"] == "HEAD")
            return
        if scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Response(self, scope, send).send)

    def rewrite(self, url: str, body: bytes, content_type: str) -> RewriteResult:
        result = rewrite_page(body, self.declarations, url=url, content_type=content_type,
                              options=self.rewrite_options)
        if result.items and self.on_rewrite is not None:
            self.on_rewrite(url, result)
        return result


class _Response:
    """The state of one response: passing through, or buffering an HTML body to rewrite."""

    def __init__(self, middleware: DisclosureMiddleware, scope: Scope, send: Send) -> None:
        self.middleware, self.send_next = middleware, send
        query = scope.get("query_string", b"").decode("latin-1")
        self.url = scope["path"] + (f"?{query}" if query else "")
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.buffering = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self._wants(message):
                self.start, self.buffering = message, True
                return
            await self.send_next(message)
            return
        if kind != "http.response.body" or not self.buffering:
            await self.send_next(message)
            return
        body = bytes(message.get("body", b""))
        self.chunks.append(body)
        self.size += len(body)
        more = bool(message.get("more_body", False))
        limit = self.middleware.options.max_bytes
        if self.size > limit:
            log.info("%s: HTML over %d bytes, sent unrewritten", self.url, limit)
            await self._flush(more)
            return
        if more:
            return
        await self._finish()

    def _wants(self, start: Message) -> bool:
        status = int(start.get("status", 200))
        if status < 200 or status in (204, 304):
            return False
        headers = {k.lower(): v for k, v in start.get("headers", [])}
        if not _is_html(headers.get(b"content-type", b"").decode("latin-1")):
            return False
        if headers.get(b"content-encoding", b"identity").strip().lower() != b"identity":
            return False  # compressed upstream: cannot edit without recompressing; passed through
        length = headers.get(b"content-length", b"")
        return not (length.isdigit() and int(length) > self.middleware.options.max_bytes)

    async def _flush(self, more: bool) -> None:
        assert self.start is not None
        self.buffering = False
        await self.send_next(self.start)
        await self.send_next({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more})
        self.chunks = []

    async def _finish(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        headers = list(self.start.get("headers", []))
        content_type = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
        if len(body) > _THREAD_OVER:
            result = await anyio.to_thread.run_sync(self.middleware.rewrite, self.url, body, content_type)
        else:
            result = self.middleware.rewrite(self.url, body, content_type)
        if result.changed:
            had_length = any(k.lower() == b"content-length" for k, _ in headers)
            headers = [(k, v) for k, v in headers if k.lower() not in _DROP_WHEN_CHANGED]
            if had_length:
                headers.append((b"content-length", str(len(result.data)).encode()))
        if result.items and self.middleware.options.header:
            headers = [(k, v) for k, v in headers if k.lower() != b"ai-disclosure"]
            headers.append((b"ai-disclosure", disclosure_header(result)))
        await self.send_next({**self.start, "headers": headers})
        await self.send_next({"type": "http.response.body", "body": result.data, "more_body": False})


async def _send_stylesheet(send: Send, head: bool) -> None:
    css = stylesheet()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/css; charset=utf-8"), (b"content-length", str(len(css)).encode()),
                            (b"cache-control", b"public, max-age=86400")]})
    await send({"type": "http.response.body", "body": b"" if head else css})


# -- WSGI --------------------------------------------------------------------------------------------

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]


class DisclosureWSGIMiddleware:
    """The same for WSGI apps (Django, Flask …); the app's ``close()`` is always called."""

    def __init__(self, app: WSGIApp, declarations: DeclarationSet | Iterable[Declaration], *,
                 options: MiddlewareOptions = MiddlewareOptions(),
                 on_rewrite: Callable[[str, RewriteResult], None] | None = None) -> None:
        self.app, self.declarations, self.options = app, as_set(declarations), options
        self.rewrite_options = _rewrite_options(options)
        self.on_rewrite = on_rewrite

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/") or "/"
        if self.options.stylesheet_path and path == self.options.stylesheet_path:
            css = stylesheet()
            start_response("200 OK", [("Content-Type", "text/css; charset=utf-8"), ("Content-Length", str(len(css)))])
            return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else css]
        captured: dict[str, Any] = {}
        written: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            if exc_info is not None and captured.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return written.append

        iterable = self.app(environ, capture)
        query = environ.get("QUERY_STRING", "")
        url = path + (f"?{query}" if query else "")
        return self._respond(environ, url, start_response, iterable, captured, written)

    def _respond(self, environ: WSGIEnviron, url: str, start_response: StartResponse, iterable: Iterable[bytes],
                 captured: dict[str, Any], written: list[bytes]) -> Iterator[bytes]:
        try:
            chunks = iter(iterable)
            pending: list[bytes] = []
            while "status" not in captured:  # start_response may come with the first chunk (PEP 3333)
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending.append(chunk)
            if "status" not in captured:
                raise RuntimeError("the WSGI app returned without calling start_response")
            status, headers = captured["status"], list(captured["headers"])
            if not self._wants(environ, status, headers):
                captured["sent"] = True
                start_response(status, headers, captured.get("exc_info"))
                yield from written
                yield from pending
                yield from chunks
                return
            body, size = [*written, *pending], sum(map(len, written)) + sum(map(len, pending))
            for chunk in chunks:
                body.append(chunk)
                size += len(chunk)
                if size > self.options.max_bytes:
                    log.info("%s: HTML over %d bytes, sent unrewritten", url, self.options.max_bytes)
                    captured["sent"] = True
                    start_response(status, headers, captured.get("exc_info"))
                    yield from body
                    yield from chunks
                    return
            data = b"".join(body)
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            result = rewrite_page(data, self.declarations, url=url, content_type=content_type,
                                  options=self.rewrite_options)
            if result.items and self.on_rewrite is not None:
                self.on_rewrite(url, result)
            if result.changed:
                had_length = any(k.lower() == "content-length" for k, _ in headers)
                headers = [(k, v) for k, v in headers if k.lower().encode() not in _DROP_WHEN_CHANGED]
                if had_length:
                    headers.append(("Content-Length", str(len(result.data))))
            if result.items and self.options.header:
                headers = [(k, v) for k, v in headers if k.lower() != "ai-disclosure"]
                headers.append(("AI-Disclosure", disclosure_header(result).decode()))
            captured["sent"] = True
            start_response(status, headers, captured.get("exc_info"))
            yield result.data
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    def _wants(self, environ: WSGIEnviron, status: str, headers: Sequence[tuple[str, str]]) -> bool:
        code = int(status.split(" ", 1)[0])
        if environ.get("REQUEST_METHOD") == "HEAD" or code < 200 or code in (204, 304):
            return False
        values = {k.lower(): v for k, v in headers}
        if not _is_html(values.get("content-type", "")):
            return False
        if values.get("content-encoding", "identity").strip().lower() != "identity":
            return False
        length = values.get("content-length", "")
        return not (length.isdigit() and int(length) > self.options.max_bytes)
