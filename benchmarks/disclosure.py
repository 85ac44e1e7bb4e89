"""Benchmark of the HTML disclosure scanner and middleware.

Targets (DESIGN.md): scan >= 1,000 pages/s/core on 200 KB storefront pages; the middleware adds
< 2 ms at p99. Everything runs in one process on one core (no threads), in the same run:

* **Pages**: each storefront fixture in ``tests/disclosure/fixtures`` (Luma, Dawn, headless) grown to
  about 200 KB by repeating its body, so every page carries tens of AI-generated items, as a long
  listing does. The fixture manifest declares them.
* **synthguard**: ``scan_html`` (lexbor via selectolax), with source line numbers (the default, what
  the CLI reports) and without (what a CI gate or the middleware needs).
* **peer**: the same check written with BeautifulSoup 4 (soupsieve selectors) in this file, with the
  lxml parser (the fastest bs4 setup, no line numbers) and with ``html.parser`` (line numbers). The
  script checks that the peer reports exactly the gaps we report before timing anything.
* **middleware**: an ASGI app that returns a page is called in-process ``--calls`` times bare and
  ``--calls`` times wrapped in ``DisclosureMiddleware`` (fixture pages at their real 4-8 KB size; then
  the 200 KB pages); the added latency is the wrapped percentile minus the bare one. Also shown: a
  binary response (passed through) and an HTML page with nothing declared.

Usage: ``.venv/bin/python benchmarks/disclosure.py [--seconds 3] [--calls 2000] [--size-kb 200] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from selectolax.lexbor import LexborHTMLParser

from synthguard.disclosure import (
    Declaration,
    DeclarationSet,
    DisclosureMiddleware,
    ScanOptions,
    load_manifest,
    scan_html,
)
from synthguard.disclosure import vocabulary as v
from synthguard.disclosure.declarations import url_matches
from synthguard.disclosure.scanner import LABEL_SELECTOR
from synthguard.disclosure.surface import WIDGETS

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "disclosure" / "fixtures"
_BODY = re.compile(rb"(<body[^>]*>)(.*?)(</body>)", re.IGNORECASE | re.DOTALL)
_HEADER = re.compile(rb"<header\b.*?</header>(?:\s*<div class=\"sections nav-sections\">.*?</nav></div>)?",
                     re.IGNORECASE | re.DOTALL)
_NEVER_VISIBLE = {"template", "noscript", "script", "style", "head", "title"}


# -- the peer: the same check with BeautifulSoup ------------------------------------------------------


class SoupScanner:
    """The disclosure rules of ``synthguard.disclosure.scanner`` on a BeautifulSoup tree."""

    def __init__(self, rules: Sequence[Declaration], parser: str) -> None:
        self.rules, self.parser = list(rules), parser

    def scan(self, data: bytes, url: str) -> list[tuple[int | None, str]]:
        soup = BeautifulSoup(data, self.parser)
        applicable = [r for r in self.rules if url_matches(r.url_pattern, url)]
        found: dict[int, tuple[Tag, Declaration | None]] = {}
        for rule in applicable:
            if rule.sku is None:
                for tag in soup.select(rule.selector):
                    found.setdefault(id(tag), (tag, rule))
        for tag in soup.select("[data-synthetic]"):
            if str(tag.get("data-synthetic", "")).strip().lower() == "true":
                found.setdefault(id(tag), (tag, None))
        sku_rules = [r for r in applicable if r.sku is not None]
        if sku_rules:
            skus = {str(t.get("content") or t.get_text()).strip() for t in
                    soup.select('[itemprop="sku"], meta[property="product:retailer_item_id"]')}
            for script in soup.select('script[type="application/ld+json"]'):
                with contextlib.suppress(ValueError):
                    skus |= set(_json_values(json.loads(script.get_text()), "sku"))
            for rule in sku_rules:
                for tag in soup.select(rule.selector):
                    if id(tag) not in found and (rule.sku in skus or _card_sku(tag) == rule.sku):
                        found[id(tag)] = (tag, rule)
        items = list(found.values())
        gaps: list[tuple[int | None, str]] = []
        if not items:
            return gaps
        widgets = {id(t) for t in soup.select(WIDGETS)}
        item_ids = set(found)
        claimed: dict[str, set[int]] = {}
        for tag, _ in items:
            for ident in str(tag.get("aria-describedby") or "").split():
                claimed.setdefault(ident, set()).add(id(tag))
        for tag, rule in items:
            kind = rule.kind if rule is not None and rule.kind != "auto" else (
                "image" if tag.name in ("img", "picture", "svg", "video", "canvas") else
                "recommendations" if id(tag) in widgets else "text")
            line = getattr(tag, "sourceline", None)
            if str(tag.get("data-synthetic") or "").strip().lower() != "true":
                gaps.append((line, "data-synthetic"))
            expected = {}
            if rule is not None:
                expected[v.GENERATOR] = rule.generator
                if rule.dataset:
                    expected[v.SOURCE] = rule.dataset
            elif not str(tag.get(v.GENERATOR) or "").strip():
                expected[v.GENERATOR] = "unknown"
            if any(str(tag.get(k) or "").strip() != value for k, value in expected.items()):
                gaps.append((line, "source-attributes"))
            labels = self._labels(tag, item_ids, claimed)
            if not labels:
                gaps.append((line, "visible-label"))
            ids = {str(label.get("id")) for label in labels if label.get("id")}
            if not ids & set(str(tag.get("aria-describedby") or "").split()):
                gaps.append((line, "aria-describedby"))
            images = [tag] if tag.name == "img" else (tag.select("img") if kind == "image" else [])
            if any(_photo(img.get("alt")) for img in images):
                gaps.append((line, "alt-text"))
        fragment = re.search(rb"<(?:!doctype|html|head|body)[\t\n\f\r />]", data[:1 << 16], re.IGNORECASE) is None
        if not fragment and not self._marked(soup):
            gaps.append((None, "page-marker"))
        return gaps

    def _labels(self, tag: Tag, item_ids: set[int], claimed: dict[str, set[int]]) -> list[Tag]:
        candidates = [(d, tag) for d in tag.select(LABEL_SELECTOR)]
        if not candidates and v.AI_PHRASE.search(tag.get_text()):
            candidates = [(d, tag) for d in tag.find_all(True) if _reads_as_label(d)]
        parent = tag.parent
        for sibling in (_element_sibling(tag, previous=True), _element_sibling(tag, previous=False)):
            if sibling is None or id(sibling) in item_ids or parent is None:
                continue
            owners = claimed.get(str(sibling.get("id") or ""), set())
            if owners and id(tag) not in owners:
                continue
            if _is_label(sibling) or _reads_as_label(sibling):
                candidates.append((sibling, parent))
        return [label for label, stop in candidates if _visible(label, stop)]

    @staticmethod
    def _marked(soup: BeautifulSoup) -> bool:
        for meta in soup.find_all("meta"):
            if str(meta.get("name", "")).lower() == v.META_NAME and \
                    str(meta.get("content") or "").strip().lower() not in v.META_NEGATIVE:
                return True
        for script in soup.select('script[type="application/ld+json"]'):
            try:
                values = _json_values(json.loads(script.get_text()), "digitalSourceType")
            except ValueError:
                continue
            if any(re.split(r"[/#:]", x.rstrip("/"))[-1].lower() in v.AI_SOURCE_TYPES for x in values):
                return True
        return False


def _json_values(data: Any, key: str) -> list[str]:
    found, stack = [], [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, inner in value.items():
                if k == key and isinstance(inner, str):
                    found.append(inner)
                else:
                    stack.append(inner)
        elif isinstance(value, list):
            stack.extend(value)
    return found


def _card_sku(tag: Tag | None) -> str | None:
    while isinstance(tag, Tag):
        value = tag.get("data-product-sku") or tag.get("data-sku")
        if value:
            return str(value).strip()
        tag = tag.parent
    return None


def _photo(alt: Any) -> bool:
    return bool(alt) and v.PHOTO_CLAIM.search(str(alt)) is not None and v.AI_PHRASE.search(str(alt)) is None


def _is_label(tag: Tag) -> bool:
    return v.LABEL_CLASS in (tag.get("class") or []) or tag.has_attr(v.LABEL_ATTRIBUTE)


def _reads_as_label(tag: Tag) -> bool:
    text = tag.get_text().strip()
    return 0 < len(text) <= v.LABEL_MAX_CHARS and v.AI_PHRASE.search(text) is not None


def _element_sibling(tag: Tag, *, previous: bool) -> Tag | None:
    sibling = tag.previous_sibling if previous else tag.next_sibling
    while sibling is not None and (isinstance(sibling, (NavigableString, Comment)) or not isinstance(sibling, Tag)):
        sibling = sibling.previous_sibling if previous else sibling.next_sibling
    return sibling


def _visible(label: Tag, stop: Tag) -> bool:
    node: Any = label
    while node is not None and node is not stop:
        if node.name in _NEVER_VISIBLE:
            return False
        attrs = node.attrs
        if "hidden" in attrs or str(attrs.get("aria-hidden", "")).strip().lower() == "true":
            return False
        if str(attrs.get("type", "")).lower() == "hidden" or v.HIDDEN_STYLE.search(str(attrs.get("style", ""))):
            return False
        classes = attrs.get("class") or []
        if not v.HIDDEN_CLASSES.isdisjoint(classes if isinstance(classes, list) else str(classes).split()):
            return False
        node = node.parent
    return True


# -- pages and measurements ----------------------------------------------------------------------------


def big_pages(size: int, mix: str = "dense") -> list[tuple[str, bytes]]:
    """Each storefront fixture grown to about ``size`` bytes. ``dense``: its whole body repeated, so its AI
    items repeat too (tens per page, like a long listing). ``typical``: its items once, the rest of the
    200 KB is its own header and navigation markup repeated (the mega-menus and scripts that make real
    storefront pages big); fragments are left out of this mix."""
    index = json.loads((FIXTURES / "index.json").read_text())["pages"]
    pages = []
    for entry in index:
        if entry["file"].startswith("edge/"):
            continue
        data = (FIXTURES / entry["file"]).read_bytes()
        match = _BODY.search(data)
        if mix == "typical":
            header = _HEADER.search(data)
            if match is None or header is None:
                continue
            filler = header.group(0) + b"\n"
            copies = max(0, (size - len(data)) // len(filler))
            pages.append((entry["url"], data[:match.end(2)] + filler * copies + data[match.end(2):]))
            continue
        if match is None:  # a fragment: repeat all of it
            pages.append((entry["url"], data * max(1, size // len(data))))
            continue
        inner = match.group(2)
        copies = max(1, (size - (len(data) - len(inner))) // len(inner))
        pages.append((entry["url"], data[:match.start(2)] + inner * copies + data[match.end(2):]))
    return pages


def rate(work: Callable[[], int], seconds: float) -> tuple[float, int]:
    """Pages per second over at least ``seconds`` (whole passes), and the pages done."""
    done, start = 0, time.perf_counter()
    while True:
        done += work()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, done


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def asgi_latency(app: Any, path: str, calls: int) -> list[float]:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    async def run() -> list[float]:
        timings = []
        for _ in range(calls):
            start = time.perf_counter()
            await app(dict(scope), receive, send)
            timings.append(time.perf_counter() - start)
        return timings

    return asyncio.run(run())


def page_app(body: bytes, content_type: bytes) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


def middleware_rows(rules: DeclarationSet, pages: list[tuple[str, bytes]], calls: int) -> list[dict[str, Any]]:
    rows = []
    cases: list[tuple[str, list[tuple[str, bytes]], bytes]] = [
        ("fixture pages (4-8 KB, with AI items)", pages, b"text/html; charset=utf-8"),
        ("HTML, nothing declared for the URL", [("/about-us", pages[0][1])], b"text/html; charset=utf-8"),
        ("binary (image/png, passed through)", [(pages[0][0], bytes(range(256)) * 64)], b"image/png"),
    ]
    for label, group, content_type in cases:
        bare, wrapped = [], []
        per_page = max(1, calls // len(group))
        for path, body in group:
            inner = page_app(body, content_type)
            bare += asgi_latency(inner, path, per_page)
            wrapped += asgi_latency(DisclosureMiddleware(inner, rules), path, per_page)
        (b50, b99), (w50, w99) = percentiles(bare), percentiles(wrapped)
        rows.append({"case": label, "calls": len(wrapped), "bare_p50_ms": b50 * 1e3, "bare_p99_ms": b99 * 1e3,
                     "p50_ms": w50 * 1e3, "p99_ms": w99 * 1e3, "added_p50_ms": (w50 - b50) * 1e3,
                     "added_p99_ms": (w99 - b99) * 1e3})
    return rows


LINES, NO_LINES = "synthguard (lexbor), with line numbers", "synthguard (lexbor), no line numbers"
PEER_LXML, PEER_HTML = "BeautifulSoup 4 + lxml (no line numbers)", "BeautifulSoup 4 + html.parser (line numbers)"


def check_peer(rules: DeclarationSet, pages: list[tuple[str, bytes]]) -> str | None:
    """The peer must find exactly what we find, or its speed means nothing."""
    for parser_name in ("lxml", "html.parser"):
        peer = SoupScanner(rules.declarations, parser_name)
        with_lines = parser_name == "html.parser"  # bs4 has source lines only with html.parser
        for url, data in pages:
            report = scan_html(data, rules, url=url)
            expected = sorted(((g.line or 0) if with_lines else 0, g.check) for g in report.gaps)
            got = sorted(((line or 0) if with_lines else 0, check) for line, check in peer.scan(data, url))
            if got != expected:
                return f"peer ({parser_name}) disagrees on {url}: {len(got)} vs {len(expected)} gaps"
    return None


def measure_mix(mix: str, rules: DeclarationSet, pages: list[tuple[str, bytes]], seconds: float) -> dict[str, Any]:
    reports = [scan_html(data, rules, url=url) for url, data in pages]
    mean_kb = statistics.mean(len(p) for _, p in pages) / 1024

    def ours(options: ScanOptions) -> Callable[[], int]:
        def work() -> int:
            for url, data in pages:
                scan_html(data, rules, url=url, options=options)
            return len(pages)
        return work

    def peer(parser_name: str) -> Callable[[], int]:
        scanner = SoupScanner(rules.declarations, parser_name)

        def work() -> int:
            for url, data in pages:
                scanner.scan(data, url)
            return len(pages)
        return work

    def parse_only() -> int:
        for _, data in pages:
            LexborHTMLParser(data)
        return len(pages)

    rows = []
    for label, work in ((LINES, ours(ScanOptions())), (NO_LINES, ours(ScanOptions(lines=False))),
                        ("(ceiling: lexbor parse alone, no checks)", parse_only),
                        (PEER_LXML, peer("lxml")), (PEER_HTML, peer("html.parser"))):
        per_second, done = rate(work, seconds)
        rows.append({"method": label, "pages_per_s": per_second, "mb_per_s": per_second * mean_kb / 1024,
                     "pages": done})
    return {"mix": mix, "pages": len(pages), "mean_page_kb": mean_kb, "items": sum(len(r.items) for r in reports),
            "gaps": sum(len(r.gaps) for r in reports), "scan": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per scanner measurement")
    parser.add_argument("--calls", type=int, default=2000, help="ASGI calls per middleware case")
    parser.add_argument("--size-kb", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    rules = DeclarationSet(load_manifest(FIXTURES / "declarations.csv"))
    mixes = []
    for mix in ("typical", "dense"):
        pages = big_pages(args.size_kb * 1024, mix)
        failure = check_peer(rules, pages)
        if failure:
            print(failure, file=sys.stderr)
            return 2
        mixes.append(measure_mix(mix, rules, pages, args.seconds))
    small = [(e["url"], (FIXTURES / e["file"]).read_bytes())
             for e in json.loads((FIXTURES / "index.json").read_text())["pages"] if not e["file"].startswith("edge/")]
    mw_rows = middleware_rows(rules, small, args.calls)
    for mix in ("typical", "dense"):
        row = middleware_rows(rules, big_pages(args.size_kb * 1024, mix), max(200, args.calls // 5))[0]
        row["case"] = f"{args.size_kb} KB pages, {mix} mix"
        mw_rows.insert(-2, row)

    result = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
              "python": platform.python_version(), "mixes": mixes, "middleware": mw_rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for mix in mixes:
        print(f"{mix['mix']} mix: {mix['pages']} pages, mean {mix['mean_page_kb']:.0f} KB, "
              f"{mix['items'] / mix['pages']:.1f} AI items and {mix['gaps'] / mix['pages']:.1f} gaps per page "
              "(the peer reports the same gaps)")
        print(f"  {'scanner (1 core)':<48} {'pages/s':>9} {'MB/s':>7}")
        for row in mix["scan"]:
            print(f"  {row['method']:<48} {row['pages_per_s']:>9.0f} {row['mb_per_s']:>7.1f}")
        rows = {row["method"]: row["pages_per_s"] for row in mix["scan"]}
        print(f"  synthguard vs bs4+lxml: {rows[NO_LINES] / rows[PEER_LXML]:.0f}x (no lines), "
              f"vs bs4+html.parser: {rows[LINES] / rows[PEER_HTML]:.0f}x (lines); target >= 1,000 pages/s/core "
              f"{'met' if rows[NO_LINES] >= 1000 else 'not met'} (no lines), "
              f"{'met' if rows[LINES] >= 1000 else 'not met'} (lines)\n")
    print(f"{'middleware (ASGI, in-process)':<44} {'calls':>6} {'bare p50/p99 ms':>16} {'wrapped p50/p99 ms':>19} "
          f"{'added p50/p99 ms':>17}")
    for row in mw_rows:
        print(f"{row['case']:<44} {row['calls']:>6} {row['bare_p50_ms']:>7.3f} /{row['bare_p99_ms']:>7.3f} "
              f"{row['p50_ms']:>9.3f} /{row['p99_ms']:>7.3f} {row['added_p50_ms']:>8.3f} /{row['added_p99_ms']:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
