"""The reverse proxy in front of a real upstream on a loopback port: HTML gets disclosure (even when the
upstream compresses it), everything else arrives byte for byte; the CLI command serves it."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from disclosure.storefront import PNG, Storefront, free_port
from synthguard.disclosure import Declaration, scan_html
from synthguard.disclosure.proxy import ReverseProxy, parse_listen, proxy_app
from synthguard.errors import InputError

RULES = [Declaration(".ai-copy", "gpt-4o-mini", url_pattern="/*products/*", dataset="copy@2")]


async def _get(app: object, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        return await client.get(path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_html_is_disclosed_and_binaries_are_relayed_untouched(storefront: Storefront) -> None:
    app = proxy_app(storefront.base, RULES)
    page = await _get(app, "/products/a")
    assert page.status_code == 200 and page.headers["ai-disclosure"] == "mode=ai-modified"
    assert scan_html(page.content, RULES, url="/products/a").gaps == ()
    squeezed = await _get(app, "/gz/products/a")  # gzip from upstream: decoded, rewritten, sent plain
    assert "content-encoding" not in squeezed.headers
    assert scan_html(squeezed.content, RULES, url="/gz/products/a").gaps == ()
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client, \
            client.stream("GET", "/image") as image:
        raw = b"".join([chunk async for chunk in image.aiter_raw()])
    assert image.headers["content-encoding"] == "gzip" and gzip.decompress(raw) == PNG
    assert int(image.headers["content-length"]) == len(raw)


@pytest.mark.anyio
async def test_redirects_stay_on_the_proxy_and_a_dead_upstream_is_a_502(storefront: Storefront) -> None:
    app = proxy_app(storefront.base, RULES)
    redirect = await _get(app, "/to-upstream-self")
    assert redirect.status_code == 302 and redirect.headers["location"] == "/products/b"
    dead = await _get(proxy_app(f"http://127.0.0.1:{free_port()}", RULES), "/products/a")
    assert dead.status_code == 502 and dead.text.startswith("bad gateway")


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="http"):
        ReverseProxy("ftp://example.com")
    with pytest.raises(InputError, match="HOST:PORT"):
        parse_listen("localhost")
    assert parse_listen("[::1]:8080") == ("::1", 8080)


def test_the_cli_serves_the_proxy(storefront: Storefront, tmp_path: Path) -> None:
    manifest = tmp_path / "ai.csv"
    manifest.write_text("url_pattern,selector,generator,dataset\n/products/*,.ai-copy,gpt-4o-mini,copy@2\n")
    port = free_port()
    env = {**os.environ, "SYNTHGUARD_HOME": str(tmp_path / "no-workspace")}
    proc = subprocess.Popen([sys.executable, "-m", "synthguard", "disclose", "proxy", "--upstream", storefront.base,
                             "--listen", f"127.0.0.1:{port}", "--manifest", str(manifest)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/products/a", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    stderr = proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else "no proxy"
                    raise AssertionError(stderr) from None
                time.sleep(0.1)
        assert response.headers["ai-disclosure"] == "mode=ai-modified"
        assert scan_html(response.content, RULES, url="/products/a").gaps == ()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
