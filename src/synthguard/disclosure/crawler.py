"""A polite, bounded crawler for storefront pages: httpx (async), same origin only, robots.txt,
a concurrency limit, timeouts, redirect-loop detection, a size limit, and non-HTML responses skipped
without downloading them. Sitemaps (``sitemap.xml``, sitemap indexes) give the page list directly.

The crawler only fetches; the caller's ``on_page`` scans each page and returns the links to follow.
"""

from __future__ import annotations

import asyncio
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

log = logging.getLogger(__name__)
_SKIP_SUFFIXES = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|css|js|mjs|map|json|xml|pdf|zip|gz|mp4|webm|"
                            r"mp3|woff2?|ttf|otf|eot)$", re.IGNORECASE)
_HTML = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class CrawlOptions:
    concurrency: int = 4
    timeout: float = 10.0  # seconds, per request (connect, read, write, pool)
    max_pages: int = 200
    max_bytes: int = 5 << 20  # larger pages are skipped, not truncated
    max_redirects: int = 5
    user_agent: str = "SynthGuard-Disclosure/0.1"
    robots: bool = True
    follow_links: bool = True


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes


@dataclass
class CrawlResult:
    fetched: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)


def normalise(url: str) -> str:
    """Scheme and host lower-cased, fragment dropped, empty path as '/'."""
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class Crawler:
    def __init__(self, options: CrawlOptions = CrawlOptions(), *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.options = options
        self.transport = transport
        self._robots: dict[tuple[str, str], RobotFileParser | None] = {}
        self._robots_failure: dict[tuple[str, str], str] = {}

    def _client(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.options.timeout)
        limits = httpx.Limits(max_connections=self.options.concurrency)
        return httpx.AsyncClient(transport=self.transport, timeout=timeout, limits=limits, follow_redirects=False,
                                 headers={"user-agent": self.options.user_agent, "accept": "text/html,*/*;q=0.1"})

    async def crawl(self, starts: Iterable[str], on_page: Callable[[Fetched], Iterable[str]]) -> CrawlResult:
        """Fetch ``starts`` and, when following links, every same-origin page ``on_page`` returns."""
        result = CrawlResult()
        start_list = [normalise(u) for u in starts]
        origins = {origin(u) for u in start_list}
        queue: asyncio.Queue[str] = asyncio.Queue()
        seen: set[str] = set()
        done: set[str] = set()  # final URLs, so a redirect to a page already scanned is not scanned twice
        for url in start_list:
            if url not in seen:
                seen.add(url)
                queue.put_nowait(url)

        async with self._client() as client:
            async def worker() -> None:
                while True:
                    url = await queue.get()
                    try:
                        if result.fetched >= self.options.max_pages:
                            reason = f"page limit {self.options.max_pages} reached"
                            result.skipped.append({"url": url, "reason": reason})
                            continue
                        page = await self._fetch(client, url, origins, result)
                        if page is None or page.url in done:
                            continue
                        done.add(page.url)
                        result.fetched += 1
                        links = on_page(page)
                        if not self.options.follow_links:
                            continue
                        for link in links:
                            target = normalise(link)
                            if (target not in seen and origin(target) in origins and not _SKIP_SUFFIXES.search(
                                    urlsplit(target).path)):
                                seen.add(target)
                                queue.put_nowait(target)
                    finally:
                        queue.task_done()

            workers = [asyncio.create_task(worker()) for _ in range(max(1, self.options.concurrency))]
            try:
                await queue.join()
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
        return result

    async def _fetch(self, client: httpx.AsyncClient, url: str, origins: set[tuple[str, str]],
                     result: CrawlResult) -> Fetched | None:
        def skip(reason: str) -> None:
            log.info("skipped %s: %s", url, reason)
            result.skipped.append({"url": url, "reason": reason})

        chain = [url]
        current = url
        while True:
            if not await self._allowed(client, current):
                reason = self._robots_failure.get(origin(current), "disallowed by robots.txt")
                skip(reason if current == url else f"redirect to {current}: {reason}")
                return None
            try:
                async with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        target = normalise(urljoin(current, location))
                        if target in chain:
                            skip(f"redirect loop: {' -> '.join([*chain, target])}")
                            return None
                        if len(chain) > self.options.max_redirects:
                            skip(f"more than {self.options.max_redirects} redirects")
                            return None
                        if origin(target) not in origins:
                            skip(f"redirects off-site to {target}")
                            return None
                        chain.append(target)
                        current = target
                        continue
                    content_type = response.headers.get("content-type", "")
                    if content_type.split(";")[0].strip().lower() not in _HTML:
                        skip(f"not HTML ({content_type or 'no content type'}); not downloaded")
                        return None
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.options.max_bytes:
                        skip(f"page of {int(declared)} bytes is over the {self.options.max_bytes}-byte limit")
                        return None
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > self.options.max_bytes:
                            skip(f"page is over the {self.options.max_bytes}-byte limit")
                            return None
                        chunks.append(chunk)
                    return Fetched(current, response.status_code, content_type, b"".join(chunks))
            except httpx.TimeoutException:
                skip(f"timed out after {self.options.timeout:g} s")
                return None
            except httpx.HTTPError as exc:
                skip(f"request failed: {exc.__class__.__name__}: {exc}")
                return None

    async def _allowed(self, client: httpx.AsyncClient, url: str) -> bool:
        if not self.options.robots:
            return True
        key = origin(url)
        if key not in self._robots:
            self._robots[key] = await self._load_robots(client, key)
        parser = self._robots[key]
        return True if parser is None else parser.can_fetch(self.options.user_agent, url)

    async def _load_robots(self, client: httpx.AsyncClient, key: tuple[str, str]) -> RobotFileParser | None:
        """RFC 9309: 4xx means no rules; a server error or no answer means nothing may be fetched."""
        robots_url = f"{key[0]}://{key[1]}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            response = await client.get(robots_url, follow_redirects=True)
            failure = f"HTTP {response.status_code}" if response.status_code >= 500 else None
        except httpx.HTTPError as exc:
            failure = exc.__class__.__name__
        if failure is not None:
            self._robots_failure[key] = f"robots.txt unreachable ({failure}): nothing may be fetched (RFC 9309)"
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        if 400 <= response.status_code < 500:
            return None
        parser.parse(response.text.splitlines())
        return parser

    async def sitemap_urls(self, sitemap: str | bytes, base: str | None = None, depth: int = 0) -> list[str]:
        """Page URLs listed in a sitemap (URL or document bytes), following sitemap indexes two levels deep."""
        if isinstance(sitemap, str):
            async with self._client() as client:
                try:
                    response = await client.get(sitemap, follow_redirects=True)
                    response.raise_for_status()
                except httpx.HTTPError as exc:
                    from ..errors import InputError

                    raise InputError(f"cannot fetch the sitemap: {exc}", path=sitemap) from exc
                content, base = response.content, sitemap
        else:
            content = sitemap
        kind, locs = parse_sitemap(content, base or "sitemap")
        if kind == "urlset" or depth >= 2:
            return locs
        pages: list[str] = []
        for loc in locs:
            pages.extend(await self.sitemap_urls(loc, loc, depth + 1))
        return pages


def parse_sitemap(content: bytes, name: str) -> tuple[str, list[str]]:
    """('urlset' | 'sitemapindex', the <loc> values). Python's expat refuses entity-expansion bombs."""
    from ..errors import InputError

    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise InputError(f"not a valid sitemap (XML error: {exc})", path=name) from exc
    kind = root.tag.rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        raise InputError(f"not a sitemap: the root element is <{kind}>", path=name)
    locs = [el.text.strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "loc" and el.text and el.text.strip()]
    return kind, locs
