"""The storefront fixtures: every known gap is found at its line, nothing else is reported, every
page's surface is right; rewriting leaves no gap, is idempotent and only adds the declared markup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synthguard.disclosure import DeclarationSet, load_manifest, rewrite_page, scan_html, scan_target
from synthguard.disclosure.report import SiteReport

FIXTURES = Path(__file__).parent / "fixtures"
INDEX: list[dict[str, Any]] = json.loads((FIXTURES / "index.json").read_text())["pages"]
RULES = DeclarationSet(load_manifest(FIXTURES / "declarations.csv"))


@pytest.fixture(scope="module")
def report() -> SiteReport:
    return scan_target(str(FIXTURES), RULES)


def expected_gaps(entry: dict[str, Any]) -> set[tuple[int | None, str]]:
    return ({(item["line"], gap) for item in entry["items"] for gap in item["gaps"]}
            | {(None, gap) for gap in entry["page_gaps"]})


def test_the_fixture_set_is_big_and_varied() -> None:
    themes = {entry["file"].split("/")[0] for entry in INDEX}
    surfaces = {entry["surface"] for entry in INDEX}
    items = [item for entry in INDEX for item in entry["items"]]
    assert len(INDEX) >= 30 and {"luma", "dawn", "headless"} <= themes
    assert surfaces == {"product", "listing", "checkout", "account", "recommendations"}
    assert sum(1 for i in items if i["gaps"]) >= 30 and sum(1 for i in items if not i["gaps"]) >= 8


def test_every_gap_is_found_and_nothing_else(report: SiteReport) -> None:
    pages = {page.url: page for page in report.pages}
    assert set(pages) == {entry["url"] for entry in INDEX} and not report.skipped
    missed: list[str] = []
    false: list[str] = []
    for entry in INDEX:
        found = {(gap.line, gap.check) for gap in pages[entry["url"]].gaps}
        expected = expected_gaps(entry)
        missed += [f"{entry['url']}:{line} {check}" for line, check in expected - found]
        false += [f"{entry['url']}:{line} {check}" for line, check in found - expected]
    total = sum(len(expected_gaps(e)) for e in INDEX)
    assert total >= 100
    assert not missed, f"{len(missed)} of {total} gaps missed: {missed}"
    assert not false, f"false reports: {false}"


def test_every_item_is_found_with_its_line_and_surface(report: SiteReport) -> None:
    pages = {page.url: page for page in report.pages}
    for entry in INDEX:
        page = pages[entry["url"]]
        assert page.surface == entry["surface"], entry["url"]
        assert sorted((i.line, i.tag) for i in page.items) == sorted((i["line"], i["tag"]) for i in entry["items"]), \
            entry["url"]
        disclosed = {i.line for i in page.items if i.disclosed}
        assert disclosed == {i["line"] for i in entry["items"] if not i["gaps"]}, entry["url"]


def test_recommendation_widgets_are_their_own_surface(report: SiteReport) -> None:
    widgets = [item for page in report.pages for item in page.items if item.kind == "recommendations"]
    assert widgets and all(item.surface == "recommendations" for item in widgets)
    assert {page.surface for page in report.pages if any(i in page.items for i in widgets)} >= {
        "product", "checkout", "account", "recommendations"}


def test_json_manifest_declares_the_same(report: SiteReport) -> None:
    from_json = scan_target(str(FIXTURES), load_manifest(FIXTURES / "declarations.json"))

    def without_origin(site: SiteReport) -> list[tuple[object, ...]]:
        return [(g.url, g.line, g.check, g.selector, g.message) for g in site.gaps]

    assert without_origin(from_json) == without_origin(report)
    assert all(g.origin is None or "declarations.json row " in g.origin for g in from_json.gaps)


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_rewrite_fixes_everything_once(entry: dict[str, Any]) -> None:
    path = FIXTURES / entry["file"]
    original = path.read_bytes()
    first = rewrite_page(original, RULES, url=entry["url"], file=path, root=FIXTURES)
    after = scan_html(first.data, RULES, url=entry["url"], file=path, root=FIXTURES)
    assert after.gaps == (), [g.to_json() for g in after.gaps]
    assert len(after.items) == len(entry["items"])
    second = rewrite_page(first.data, RULES, url=entry["url"], file=path, root=FIXTURES)
    assert second.data == first.data and not second.changed
    assert first.changed == bool(expected_gaps(entry))
    # Untouched bytes are untouched: the original with the reported edits applied is the output,
    # and every edit only inserts, or replaces one attribute value in a start tag.
    rebuilt, position = [], 0
    for offset, removed, blob in first.edits:
        rebuilt += [original[position:offset], blob]
        position = offset + removed
        if removed:
            value = original[offset:offset + removed]
            assert value[:1] in (b'"', b"'") or b" " not in value, value
            assert original.rfind(b"<", 0, offset) > original.rfind(b">", 0, offset)
        assert b"<script" not in blob.lower() and b" style=" not in blob.lower()
    assert b"".join([*rebuilt, original[position:]]) == first.data
