"""Scanning a target: a URL (crawled), a sitemap (URL or file), a directory of saved pages, or one file."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from ..errors import InputError
from .crawler import Crawler, CrawlOptions, Fetched
from .declarations import Declaration, DeclarationSet, as_set
from .report import SiteReport
from .scanner import Document, PageReport, ScanOptions, analyse, report_of

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass(frozen=True)
class TargetOptions:
    scan: ScanOptions = field(default_factory=ScanOptions)
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    base_path: str = "/"  # files are matched against declarations as if served under this URL path


def file_url(base_path: str, relative: str) -> str:
    return "/" + "/".join(part for part in (base_path.strip("/"), relative.lstrip("/")) if part)


def scan_target(target: str, declarations: DeclarationSet | Iterable[Declaration], *,
                options: TargetOptions = TargetOptions(),
                transport: httpx.AsyncBaseTransport | None = None) -> SiteReport:
    """Scan ``target``; ``transport`` lets tests crawl an in-process ASGI app."""
    rules = as_set(declarations)
    if target.startswith(("http://", "https://")):
        return asyncio.run(_scan_web(target, rules, options, transport))
    path = Path(target)
    if not path.exists():
        raise InputError("no such file or directory", path=target)
    if path.is_file() and path.suffix.lower() == ".xml":
        return asyncio.run(_scan_web(target, rules, options, transport, sitemap_file=path))
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
        if not files:
            raise InputError("no .html files here", path=target)
        return _scan_files(target, path, files, rules, options)
    if path.is_file():
        return _scan_files(target, path.parent, [path], rules, options)
    raise InputError("not a file, directory, sitemap or http(s) URL", path=target)


def _scan_files(target: str, root: Path, files: list[Path], rules: DeclarationSet,
                options: TargetOptions) -> SiteReport:
    pages, skipped, sources = [], [], {}
    limit = options.crawl.max_bytes
    for file in files:
        url = file_url(options.base_path, file.relative_to(root).as_posix())
        try:
            size = file.stat().st_size
            if size > limit:
                skipped.append({"url": url, "reason": f"page of {size} bytes is over the {limit}-byte limit"})
                continue
            data = file.read_bytes()
        except OSError as exc:
            skipped.append({"url": url, "reason": f"cannot read: {exc.strerror or exc}"})
            continue
        if _binary(data):
            skipped.append({"url": url, "reason": "binary content, not HTML"})
            continue
        document = Document(data, url)
        analysis = analyse(document, rules, file=file, root=root, options=options.scan)
        pages.append(report_of(analysis, lines=options.scan.lines))
        sources[url] = str(file)
    return SiteReport(target, tuple(pages), tuple(skipped), len(rules), sources=sources)


_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"\x00\x00\x00")


def _binary(data: bytes) -> bool:
    """An image, archive or other binary (magic number, or many NUL bytes without a UTF-16 byte-order mark),
    not a page; a stray NUL in broken HTML does not make it binary."""
    head = data[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.startswith(_MAGIC) or head.count(b"\x00") > 8


async def _scan_web(target: str, rules: DeclarationSet, options: TargetOptions,
                    transport: httpx.AsyncBaseTransport | None, sitemap_file: Path | None = None) -> SiteReport:
    crawl = options.crawl
    is_sitemap = sitemap_file is not None or target.rstrip("/").lower().endswith(".xml")
    crawler = Crawler(CrawlOptions(**{**crawl.__dict__, "follow_links": crawl.follow_links and not is_sitemap}),
                      transport=transport)
    if sitemap_file is not None:
        starts = await crawler.sitemap_urls(sitemap_file.read_bytes(), str(sitemap_file))
    elif is_sitemap:
        starts = await crawler.sitemap_urls(target)
    else:
        starts = [target]
    if not starts:
        raise InputError("the sitemap lists no pages", path=target)
    pages: list[PageReport] = []

    def on_page(page: Fetched) -> list[str]:
        if _binary(page.body[:1024]):
            return []
        document = Document(page.body, page.url, page.content_type)
        analysis = analyse(document, rules, options=options.scan)
        pages.append(report_of(analysis, lines=options.scan.lines, status=page.status))
        if not crawl.follow_links:
            return []
        return [urljoin(page.url, href) for a in document.tree.css("a[href]")
                if (href := (a.attributes.get("href") or "").strip()) and not href.startswith(("#", "mailto:",
                                                                                                "tel:", "javascript:"))]

    result = await crawler.crawl(starts, on_page)
    pages.sort(key=lambda p: p.url)
    return SiteReport(target, tuple(pages), tuple(result.skipped), len(rules))
