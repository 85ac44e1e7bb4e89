"""Crawling a storefront over real sockets: same origin only, robots.txt, redirect loops, size and
type limits, timeouts, sitemaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from disclosure.storefront import Storefront
from synthguard.disclosure import Declaration, TargetOptions, scan_target
from synthguard.disclosure.crawler import CrawlOptions
from synthguard.errors import InputError

RULES = [Declaration(".ai-copy", "gpt-4o-mini", url_pattern="/products/*", dataset="copy@2")]
OPTIONS = TargetOptions(crawl=CrawlOptions(concurrency=3, timeout=0.5, max_bytes=1 << 20))


def test_crawl_finds_gaps_and_obeys_the_rules(storefront: Storefront) -> None:
    base = storefront.base
    report = scan_target(base + "/", RULES, options=OPTIONS)
    scanned = {page.url for page in report.pages}
    assert scanned == {f"{base}/", f"{base}/products/a", f"{base}/products/b", f"{base}/missing"}
    skipped = {entry["url"].removeprefix(base): entry["reason"] for entry in report.skipped}
    assert "robots.txt" in skipped["/private/x"] and "/private/x" not in storefront.requests
    assert skipped["/loop1"].startswith("redirect loop: ")
    assert "not HTML" in skipped["/image"]
    assert "limit" in skipped["/big"]
    assert "timed out" in skipped["/slow"]
    assert "off-site" in skipped["/offsite"]
    assert not any("other.example" in url for url in scanned)
    pages = {page.url.removeprefix(base): page for page in report.pages}
    assert {g.check for g in pages["/products/a"].gaps} == {
        "data-synthetic", "source-attributes", "visible-label", "aria-describedby", "page-marker"}
    assert pages["/products/a"].status == 200 and pages["/products/a"].surface == "product"
    assert pages["/products/b"].ok and pages["/missing"].status == 404
    # /redirect-to-a ends on /products/a, which is scanned once.
    assert sum(1 for page in report.pages if page.url.endswith("/products/a")) == 1


def test_page_limit(storefront: Storefront) -> None:
    options = TargetOptions(crawl=CrawlOptions(concurrency=1, max_pages=2, timeout=0.5))
    report = scan_target(storefront.base + "/", RULES, options=options)
    assert len(report.pages) == 2 and any("page limit 2" in s["reason"] for s in report.skipped)


def test_sitemaps_by_url_index_and_file(storefront: Storefront, tmp_path: Path) -> None:
    base = storefront.base
    for target in (f"{base}/sitemap.xml", f"{base}/sitemap_index.xml"):
        report = scan_target(target, RULES, options=OPTIONS)
        assert sorted(page.url for page in report.pages) == [f"{base}/products/a", f"{base}/products/b"]
    local = tmp_path / "sitemap.xml"
    local.write_text(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/products/a</loc>'
                     "</url></urlset>")
    assert [p.url for p in scan_target(str(local), RULES, options=OPTIONS).pages] == [f"{base}/products/a"]


def test_bad_sitemaps_are_clear_errors(storefront: Storefront, tmp_path: Path) -> None:
    broken = tmp_path / "sitemap.xml"
    broken.write_text("<urlset><url><loc>")
    with pytest.raises(InputError, match="not a valid sitemap"):
        scan_target(str(broken), RULES)
    other = tmp_path / "feed.xml"
    other.write_text("<rss/>")
    with pytest.raises(InputError, match="root element is <rss>"):
        scan_target(str(other), RULES)
    with pytest.raises(InputError, match="cannot fetch the sitemap"):
        scan_target(f"{storefront.base}/nothing.xml", RULES, options=OPTIONS)


def test_unreachable_host_is_skipped_not_fatal() -> None:
    from disclosure.storefront import free_port

    report = scan_target(f"http://127.0.0.1:{free_port()}/", RULES,
                         options=TargetOptions(crawl=CrawlOptions(timeout=0.5)))
    assert report.pages == () and len(report.skipped) == 1
    assert "robots.txt unreachable (ConnectError)" in report.skipped[0]["reason"]
