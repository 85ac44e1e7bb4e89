"""Declaration manifests (CSV / JSON) and the catalogue: bad input names the file, row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasets import META, write_dataset
from synthguard.disclosure import Declaration, DeclarationSet, from_catalog, load_manifest, scan_html
from synthguard.disclosure.declarations import resolve_with_catalog, url_matches
from synthguard.errors import InputError
from synthguard.workspace import Workspace

HEADER = "url_pattern,sku,selector,generator,dataset,date,kind,label\n"


def _manifest(tmp_path: Path, text: str, name: str = "ai.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_and_json_manifests(tmp_path: Path) -> None:
    csv_rules = load_manifest(_manifest(tmp_path, HEADER + '/products/*,,".pdp .desc, .pdp .blurb",gpt-4o,copy@3,'
                                                 "2026-10-02,text,Written with AI\n,SKU-1,.overview,gpt-4o,,,,\n"))
    json_rules = load_manifest(_manifest(tmp_path, '{"declarations": [{"url_pattern": "/products/*", "selector": '
                                                   '".pdp .desc, .pdp .blurb", "generator": "gpt-4o", "dataset": '
                                                   '"copy@3", "date": "2026-10-02", "kind": "text", "label": '
                                                   '"Written with AI"}, {"sku": "SKU-1", "selector": ".overview", '
                                                   '"generator": "gpt-4o"}]}', "ai.json"))
    strip = [(r.selector, r.generator, r.url_pattern, r.sku, r.dataset, r.date, r.kind, r.label) for r in csv_rules]
    assert strip == [(r.selector, r.generator, r.url_pattern, r.sku, r.dataset, r.date, r.kind, r.label)
                     for r in json_rules]
    assert csv_rules[0].origin.endswith("ai.csv row 2") and json_rules[1].origin.endswith("ai.json row 2")


@pytest.mark.parametrize(("text", "row", "field", "words"), [
    (HEADER + "*,,div[,gpt-4o,,,,\n", 2, "selector", "invalid CSS selector 'div['"),
    (HEADER + "*,,.ok,gpt-4o,,,,\n*,,p >,gpt-4o,,,,\n", 3, "selector", "invalid CSS selector"),
    (HEADER + "*,,,gpt-4o,,,,\n", 2, "selector", "required"),
    (HEADER + ",,.x,gpt-4o,,,,\n", 2, "url_pattern", "url_pattern"),
    (HEADER + "*,,.x,,,,,\n", 2, "generator", "generator"),
    (HEADER + "*,,.x,g,customers,,,\n", 2, "dataset", "customers@N"),
    (HEADER + "*,,.x,g,bad name@1,,,\n", 2, "dataset", "invalid dataset name"),
    (HEADER + "*,,.x,g,,31/12/2026,,\n", 2, "date", "ISO 8601"),
    (HEADER + "*,,.x,g,,,video,\n", 2, "kind", "one of"),
    (HEADER + "re:([,,.x,g,,,,\n", 2, "url_pattern", "regular expression"),
    ("url,selector\n", 1, "url", "unknown column"),
    (HEADER + "*,,.x,g,,,,,extra\n", 2, None, "fields"),
])
def test_bad_rows_are_named(tmp_path: Path, text: str, row: int, field: str | None, words: str) -> None:
    path = _manifest(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_manifest(path)
    error = caught.value
    assert (error.path, error.row, error.field) == (str(path), row, field)
    assert words in error.message and error.exit_code == 2
    assert "\n" not in error.diagnostics()


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"), (HEADER, "declares nothing"), ('{"declarations": {}}', "expected a list"),
    ("[1]", "must be an object"), ('[{"selector": 3}]', "must be a string"), ("[{", "not valid JSON"),
])
def test_bad_files(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        load_manifest(_manifest(tmp_path, text, "ai.json" if text.startswith(("[", "{")) else "ai.csv"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "*,,.x,Zoë,,,,\n").encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_manifest(latin)
    with pytest.raises(InputError, match="cannot read"):
        load_manifest(tmp_path / "missing.csv")


def test_url_patterns() -> None:
    assert url_matches("/products/*", "/products/tee?variant=2")
    assert url_matches("/products/*", "https://shop.example/products/tee")
    assert not url_matches("/products/*", "/collections/tops")
    assert url_matches("https://shop.example/*", "https://shop.example/cart")
    assert not url_matches("https://shop.example/*", "https://other.example/cart")
    assert url_matches("re:/p/\\d+$", "https://shop.example/p/12") and url_matches(None, "/anything")
    assert url_matches("/search*", "/search?q=tee")


def test_sku_rules_apply_to_the_product_or_its_card() -> None:
    rule = DeclarationSet([Declaration(".summary", "gpt-4o", sku="SKU-1")])
    product = b'<!doctype html><span itemprop="sku">SKU-1</span><p class=summary>x</p>'
    other = b'<!doctype html><span itemprop="sku">SKU-2</span><p class=summary>x</p>'
    listing = (b"<!doctype html><article data-sku=SKU-2><p class=summary>no</p></article>"
               b"<article data-sku=SKU-1><div><p class=summary>yes</p></div></article>")
    ld = (b'<!doctype html><script type="application/ld+json">{"@type":"Product","sku":"SKU-1"}</script>'
          b"<p class=summary>x</p>")
    assert len(scan_html(product, rule).items) == 1 and scan_html(other, rule).items == ()
    assert len(scan_html(ld, rule).items) == 1
    assert [i.locator for i in scan_html(listing, rule).items] == ["article:nth-of-type(2) > div > p.summary"]


def test_the_catalogue_fills_generators_and_declares_content(ws: Workspace, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "copy.csv")
    ws.register([data], name="copy", **META)
    ws.tag("copy@1", {"disclosure.selector": ".pdp .desc", "disclosure.url": "/products/*"})
    rules = resolve_with_catalog(ws, load_manifest(_manifest(tmp_path, HEADER + "*,,.x,,copy@1,,,\n")))
    assert rules[0].generator == META["generator"]
    missing = _manifest(tmp_path, HEADER + "*,,.x,,copy@1,,,\n*,,.y,,copy@9,,,\n", "missing.csv")
    with pytest.raises(InputError) as caught:
        resolve_with_catalog(ws, load_manifest(missing))
    assert (caught.value.row, caught.value.field) == (3, "dataset") and "copy@9" in caught.value.message
    declared = from_catalog(ws)
    assert [(d.selector, d.url_pattern, d.dataset, d.generator) for d in declared] == [
        (".pdp .desc", "/products/*", "copy@1", META["generator"])]
    ws.tag("copy@1", {"disclosure.selector": "div["})
    with pytest.raises(InputError, match="invalid CSS selector"):
        from_catalog(ws)
