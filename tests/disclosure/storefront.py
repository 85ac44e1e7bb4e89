"""A small storefront served over real sockets (uvicorn on 127.0.0.1) for crawler and proxy tests."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

AI_PAGE = (b"<!doctype html><html><head><title>A</title></head><body class=catalog-product-view>"
           b"<div class=ai-copy>Soft cotton tee.</div><a href=/products/b>b</a></body></html>")
OK_PAGE = (b'<!doctype html><html><head><meta name="ai-generated-content" content="partial"><title>B</title></head>'
           b'<body><div class=ai-copy data-synthetic=true data-synthetic-generator="gpt-4o-mini" '
           b'data-synthetic-source="copy@2" aria-describedby=l><span id=l class=sg-ai-label>AI-generated</span> '
           b"Fine.</div><a href=/>home</a></body></html>")
HOME = (b"<!doctype html><html><head><title>Home</title></head><body>"
        b'<a href="/products/a">a</a><a href="/products/b#reviews">b</a><a href="/private/x">p</a>'
        b'<a href="/loop1">loop</a><a href="/image">img</a><a href="/big">big</a><a href="/slow">slow</a>'
        b'<a href="http://other.example/products/z">off</a><a href="/redirect-to-a">r</a><a href="/offsite">o</a>'
        b'<a href="mailto:x@example.com">mail</a><a href="/missing">404</a></body></html>')
PNG = bytes(range(256)) * 64
SITEMAP = (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>{base}/products/a</loc></url><url><loc>{base}/products/b</loc></url></urlset>")
INDEX = (b'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
         b"<sitemap><loc>{base}/sitemap.xml</loc></sitemap></sitemapindex>")


class Storefront:
    def __init__(self) -> None:
        self.base = ""
        self.requests: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        self.requests.append(path)
        status, headers, body = 200, [(b"content-type", b"text/html; charset=utf-8")], b""
        if path == "/robots.txt":
            headers, body = [(b"content-type", b"text/plain")], b"User-agent: *\nDisallow: /private/\n"
        elif path == "/":
            body = HOME
        elif path in ("/products/a", "/private/x"):
            body = AI_PAGE
        elif path == "/products/b":
            body = OK_PAGE
        elif path == "/gz/products/a":
            headers.append((b"content-encoding", b"gzip"))
            body = gzip.compress(AI_PAGE)
        elif path == "/image":
            headers, body = [(b"content-type", b"image/png"), (b"content-encoding", b"gzip")], gzip.compress(PNG)
        elif path in ("/loop1", "/loop2", "/redirect-to-a", "/offsite", "/to-upstream-self"):
            status, body = 302, b""
            location = {"/loop1": "/loop2", "/loop2": "/loop1", "/redirect-to-a": "/products/a",
                        "/offsite": "http://other.example/", "/to-upstream-self": f"{self.base}/products/b"}[path]
            headers = [(b"location", location.encode())]
        elif path == "/big":
            body = b"<!doctype html><p class=ai-copy>" + b"x" * (3 << 20) + b"</p>"
        elif path == "/slow":
            await asyncio.sleep(2)
            body = AI_PAGE
        elif path == "/sitemap.xml":
            headers, body = [(b"content-type", b"application/xml")], SITEMAP.replace(b"{base}", self.base.encode())
        elif path == "/sitemap_index.xml":
            headers, body = [(b"content-type", b"application/xml")], INDEX.replace(b"{base}", self.base.encode())
        else:
            status, body = 404, b"<!doctype html><title>Not found</title>"
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
