"""ASGI and WSGI middleware: HTML is rewritten with a right Content-Length; everything else passes
through byte for byte and message by message."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from synthguard.disclosure import (
    Declaration,
    DisclosureMiddleware,
    DisclosureWSGIMiddleware,
    MiddlewareOptions,
    scan_html,
)

RULES = [Declaration(".ai-copy", "gpt-4o-mini", url_pattern="/products/*", dataset="copy@2")]
PAGE = b"<!doctype html><html><head><title>t</title></head><body><div class=ai-copy>Soft cotton.</div></body></html>"
PNG = bytes(range(256)) * 40


def _app(body_chunks: list[bytes], content_type: bytes, extra: list[tuple[bytes, bytes]] | None = None,
         status: int = 200) -> Callable[..., Any]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", content_type), (b"etag", b'"v1"'), *(extra or [])]
        if all(k != b"content-length" for k, _ in headers):
            headers.append((b"content-length", str(sum(map(len, body_chunks))).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for index, chunk in enumerate(body_chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(body_chunks) - 1})
    return app


def _call(app: Callable[..., Any], path: str = "/products/tee", method: str = "GET") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": method, "path": path, "query_string": b"", "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


def _headers(message: dict[str, Any]) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in message["headers"]}


def test_html_is_rewritten_and_headers_fixed() -> None:
    seen: list[str] = []
    app = DisclosureMiddleware(_app([PAGE[:40], PAGE[40:]], b"text/html; charset=utf-8"), RULES,
                               on_rewrite=lambda url, result: seen.append(url))
    start, body = _call(app)
    headers = _headers(start)
    assert body["body"] != PAGE and int(headers[b"content-length"]) == len(body["body"])
    assert b"etag" not in headers and headers[b"ai-disclosure"] == b"mode=ai-modified"
    assert scan_html(body["body"], RULES, url="/products/tee").gaps == ()
    assert seen == ["/products/tee"]


def test_pages_without_declared_content_are_unchanged() -> None:
    app = DisclosureMiddleware(_app([PAGE], b"text/html"), RULES)
    start, body = _call(app, path="/about")
    assert body["body"] == PAGE and _headers(start)[b"etag"] == b'"v1"' and b"ai-disclosure" not in _headers(start)


def test_binary_streams_pass_through_message_by_message() -> None:
    chunks = [PNG[:1000], PNG[1000:5000], PNG[5000:]]
    inner = _call(_app(chunks, b"image/png"))
    outer = _call(DisclosureMiddleware(_app(chunks, b"image/png"), RULES))
    assert outer == inner and b"".join(m.get("body", b"") for m in outer[1:]) == PNG


def test_compressed_head_and_304_html_pass_through() -> None:
    gz = gzip.compress(PAGE)
    for app, method in ((_app([gz], b"text/html", [(b"content-encoding", b"gzip")]), "GET"),
                        (_app([PAGE], b"text/html"), "HEAD"), (_app([b""], b"text/html", status=304), "GET")):
        assert _call(DisclosureMiddleware(app, RULES), method=method) == _call(app, method=method)


def test_html_over_the_limit_is_sent_as_it_came() -> None:
    big = PAGE.replace(b"Soft cotton.", b"x" * 5000)
    chunks = [big[:3000], big[3000:]]
    options = MiddlewareOptions(max_bytes=2048)
    unlimited = _call(DisclosureMiddleware(_app(chunks, b"text/html"), RULES, options=options))
    assert b"".join(m.get("body", b"") for m in unlimited[1:]) == big
    declared = _call(DisclosureMiddleware(_app([big], b"text/html"), RULES, options=options))
    assert declared == _call(_app([big], b"text/html"))


def test_large_pages_are_rewritten_off_the_event_loop() -> None:
    big = PAGE.replace(b"</body>", b"<p>filler</p>" * 30_000 + b"</body>")  # ~390 KB, over the thread threshold
    start, body = _call(DisclosureMiddleware(_app([big], b"text/html"), RULES))
    assert int(_headers(start)[b"content-length"]) == len(body["body"]) > len(big)
    assert scan_html(body["body"], RULES, url="/products/tee").gaps == ()


def test_the_stylesheet_is_served_and_linked() -> None:
    options = MiddlewareOptions(stylesheet_path="/_synthguard/disclosure.css")
    app = DisclosureMiddleware(_app([PAGE], b"text/html"), RULES, options=options)
    start, body = _call(app, path="/_synthguard/disclosure.css")
    assert _headers(start)[b"content-type"].startswith(b"text/css") and b".sg-ai-label" in body["body"]
    _, page = _call(app)
    assert b'<link rel="stylesheet" href="/_synthguard/disclosure.css">' in page["body"]


# -- WSGI --------------------------------------------------------------------------------------------


class _Body:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.closed = chunks, False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


def _wsgi(chunks: list[bytes], content_type: str, *, lazy: bool = False,
          use_write: bool = False) -> tuple[Any, list[_Body]]:
    bodies: list[_Body] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = [("Content-Type", content_type), ("Content-Length", str(sum(map(len, chunks)))), ("ETag", '"v1"')]
        if lazy:  # PEP 3333 allows start_response on the first iteration
            def generate() -> Iterator[bytes]:
                start_response("200 OK", headers)
                yield from chunks
            return generate()
        write = start_response("200 OK", headers)
        if use_write:
            write(chunks[0])
            body = _Body(chunks[1:])
        else:
            body = _Body(chunks)
        bodies.append(body)
        return body
    return app, bodies


def _wsgi_call(app: Callable[..., Iterable[bytes]], path: str = "/products/tee") -> tuple[str, dict[str, str], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        got.update(status=status, headers=dict(headers))
        return lambda _data: None

    result = app({"PATH_INFO": path, "QUERY_STRING": "", "REQUEST_METHOD": "GET"}, start_response)
    body = b"".join(result)
    getattr(result, "close", lambda: None)()
    return got["status"], got["headers"], body


def test_wsgi_rewrites_html_and_closes_the_app_iterable() -> None:
    for lazy, use_write in ((False, False), (True, False), (False, True)):
        app, bodies = _wsgi([PAGE[:30], PAGE[30:]], "text/html; charset=utf-8", lazy=lazy, use_write=use_write)
        status, headers, body = _wsgi_call(DisclosureWSGIMiddleware(app, RULES))
        assert status == "200 OK" and int(headers["Content-Length"]) == len(body) and "ETag" not in headers
        assert headers["AI-Disclosure"] == "mode=ai-modified" and scan_html(body, RULES, url="/products/tee").gaps == ()
        assert all(b.closed for b in bodies)


def test_wsgi_passes_other_content_through() -> None:
    app, bodies = _wsgi([PNG[:100], PNG[100:]], "image/png")
    _, headers, body = _wsgi_call(DisclosureWSGIMiddleware(app, RULES))
    assert body == PNG and headers["ETag"] == '"v1"' and bodies[0].closed
    app, _ = _wsgi([PAGE], "text/html")
    big = DisclosureWSGIMiddleware(app, RULES, options=MiddlewareOptions(max_bytes=10))
    assert _wsgi_call(big)[2] == PAGE
