"""Scanner rules one by one: what counts as a visible label, ARIA wiring, photo claims, page markers,
surfaces, encodings, and what a directory scan skips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthguard.disclosure import Declaration, scan_html, scan_target
from synthguard.disclosure.crawler import CrawlOptions
from synthguard.disclosure.sitescan import TargetOptions
from synthguard.errors import InputError

RULES = [Declaration(".ai", "gpt-4o", url_pattern="*", dataset="copy@1")]
ATTRS = 'data-synthetic="true" data-synthetic-generator="gpt-4o" data-synthetic-source="copy@1"'
META = '<meta name="ai-generated-content" content="partial">'


def gaps(body: str, head: str = META, url: str = "/p") -> set[str]:
    return {g.check for g in scan_html(f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode(),
                                       RULES, url=url).gaps}


@pytest.mark.parametrize(("label", "visible"), [
    ('<span id=l class="sg-ai-label">AI-generated</span>', True),
    ("<span id=l>Generated with AI</span>", True),
    ("<span id=l data-synthetic-label>Written by our team</span>", True),
    ('<span id=l class="sr-only">AI-generated</span>', False),
    ('<span id=l class="badge visually-hidden">AI-generated</span>', False),
    ('<span id=l style="color:red; display : none">AI-generated</span>', False),
    ('<span id=l style="visibility:hidden">AI-generated</span>', False),
    ('<span id=l aria-hidden="true">AI-generated</span>', False),
    ("<span id=l hidden>AI-generated</span>", False),
    ('<div hidden><span id=l>AI-generated</span></div>', False),
    ("<noscript><span id=l>AI-generated</span></noscript>", False),
    ("<span id=l>This long paragraph mentions that some of our copy is AI-generated, but it is text about the "
     "product range and its history, not a label for this block, so it must not count as one.</span>", False),
])
def test_what_counts_as_a_visible_label(label: str, visible: bool) -> None:
    inside = gaps(f'<div class=ai {ATTRS} aria-describedby=l>{label} Text.</div>')
    assert inside == (set() if visible else {"visible-label", "aria-describedby"})


def test_adjacent_siblings_count_but_not_further_away() -> None:
    assert gaps(f"<img class=ai {ATTRS} aria-describedby=l alt=Chair><span id=l>AI-generated image</span>") == set()
    assert gaps(f"<span id=l>AI-generated</span><p class=ai {ATTRS} aria-describedby=l>x</p>") == set()
    assert gaps(f"<span id=l>AI-generated</span><br><p class=ai {ATTRS} aria-describedby=l>x</p>") == {
        "visible-label", "aria-describedby"}
    # A label another item's aria-describedby claims is that item's, even when it sits next to this one.
    two = (f"<p class=ai {ATTRS} aria-describedby=l>one</p><span id=l>AI-generated</span>"
           f"<p class=ai {ATTRS}>two</p>")
    report = scan_html(f"<!doctype html><head>{META}</head>{two}".encode(), RULES)
    assert [item.gaps for item in report.items] == [(), ("visible-label", "aria-describedby")]


def test_aria_and_alt_text() -> None:
    assert gaps(f"<div class=ai {ATTRS}><b id=l>AI-generated</b> x</div>") == {"aria-describedby"}
    assert gaps(f"<div class=ai {ATTRS} aria-describedby='x l'><b id=l>AI-generated</b> x</div>") == set()
    assert gaps(f"<div class=ai {ATTRS} aria-describedby=l><b>AI-generated</b> x</div>") == {"aria-describedby"}
    photo = f"<img class=ai {ATTRS} aria-describedby=l alt='{{}}'><span id=l>AI-generated image</span>"
    assert gaps(photo.format("Photo of a red chair")) == {"alt-text"}
    assert gaps(photo.format("Photograph: red chair")) == {"alt-text"}
    assert gaps(photo.format("AI-generated photo of a red chair")) == set()
    assert gaps(photo.format("Red chair in a photo studio style")) == {"alt-text"}
    assert gaps(photo.format("Red chair")) == set()


def test_source_attributes_must_match_the_declaration() -> None:
    assert gaps(f"<div class=ai {ATTRS.replace('gpt-4o', 'gpt-3')} aria-describedby=l><b id=l>AI-generated</b></div>") \
        == {"source-attributes"}
    undeclared = '<div data-synthetic="true" aria-describedby=l><b id=l>AI-generated</b></div>'
    report = scan_html(f"<!doctype html><head>{META}</head>{undeclared}".encode(), [])
    assert [(i.detected_by, i.gaps) for i in report.items] == [("data-synthetic", ("source-attributes",))]


@pytest.mark.parametrize(("head", "gap"), [
    (META, False), ('<meta name="AI-Generated-Content" content="yes">', False),
    ('<meta name="ai-generated-content" content="none">', True), ("", True),
    ('<script type="application/ld+json">{"@graph":[{"@type":"ImageObject","digitalSourceType":'
     '"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]}</script>', False),
    ('<script type="application/ld+json">{"digitalSourceType":"https://schema.org/DigitalCaptureDigitalSource"}'
     "</script>", True),
    ('<script type="application/ld+json">{not json</script>', True),
])
def test_page_level_marker(head: str, gap: bool) -> None:
    assert ("page-marker" in gaps(f"<div class=ai {ATTRS} aria-describedby=l><b id=l>AI-generated</b></div>",
                                  head)) is gap


def test_no_items_no_page_marker_and_fragments_need_none() -> None:
    assert gaps("<p>Nothing generated here.</p>", head="") == set()
    fragment = scan_html(b"<div class=ai>x</div>", RULES)
    assert fragment.fragment and "page-marker" not in {g.check for g in fragment.gaps}


@pytest.mark.parametrize(("html", "url", "surface"), [
    ("<body class='catalog-product-view'>", "/x", "product"),
    ("<body class='checkout-index-index'>", "/x", "checkout"),
    ("<body class='customer-address-form'>", "/x", "account"),
    ("<body class='template-collection'>", "/x", "listing"),
    ("<body data-page-type=PDP>", "/x", "product"),
    ("<body><div id=__next data-template=cart>", "/x", "checkout"),
    ("<head><meta property='og:type' content='product'></head><body>", "/x", "product"),
    ("<body><cart-items>", "/x", "checkout"),
    ("<body><div class='customer login'>", "/x", "account"),
    ("<body>", "/products/tee", "product"),
    ("<body>", "/collections/all", "listing"),
    ("<body>", "/account/orders", "account"),
    ("<body>", "/recommendations/products?section_id=1", "recommendations"),
    ("<body><product-recommendations>", "/x", "recommendations"),
    ("<body><p>about us", "/about", "other"),
])
def test_surfaces(html: str, url: str, surface: str) -> None:
    assert scan_html(f"<!doctype html><html>{html}</html>".encode(), [], url=url).surface == surface


def test_the_widget_test_matches_the_widget_selector() -> None:
    from selectolax.lexbor import LexborHTMLParser

    from synthguard.disclosure.surface import WIDGETS, is_widget, matches

    fixtures = Path(__file__).parent / "fixtures"
    extra = ('<div class="block related x"></div><div class="block"></div><div class="related"></div>'
             '<aside data-widget="recommendations"></aside><section data-component="recommendations"></section>'
             '<div data-recommendations></div><div class="product-recommendations"></div>')
    checked = 0
    for page in [*fixtures.rglob("*.html"), None]:
        tree = LexborHTMLParser(page.read_bytes() if page else extra.encode())
        for node in tree.root.traverse(include_text=False):
            if node.is_element_node:
                assert is_widget(node.tag, node.attributes) == matches(node, WIDGETS), node.html
                checked += 1
    assert checked > 1500


def test_an_item_is_attributed_to_the_rule_its_own_element_matches() -> None:
    rules = [Declaration(".inner", "gen-inner", url_pattern="*"), Declaration(".outer", "gen-outer", url_pattern="*")]
    report = scan_html(b"<!doctype html><div class=outer><p class=inner>x</p></div>", rules)
    assert sorted((i.tag, i.generator) for i in report.items) == [("div", "gen-outer"), ("p", "gen-inner")]


def test_encodings() -> None:
    page = '<!doctype html><meta charset="windows-1252"><p>Été</p>\n<div class=ai>Conçu à Lyon</div>'.encode("cp1252")
    report = scan_html(page, RULES)
    assert report.encoding == "cp1252" and report.items[0].line == 2
    undeclared = "<!doctype html><p>Été</p><div class=ai>x</div>".encode("cp1252")
    assert scan_html(undeclared, RULES).encoding == "cp1252"
    utf16 = "<!doctype html><div class=ai>x</div>".encode("utf-16")
    assert len(scan_html(utf16, RULES).items) == 1
    header = scan_html("<!doctype html><div class=ai>é</div>".encode("latin-1"), RULES,
                       content_type="text/html; charset=ISO-8859-1")
    assert header.encoding == "cp1252"


def test_broken_and_enormous_pages_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "broken.html").write_bytes(b"<div class=ai <p>>>\x00<<</div <img src=x alt='")
    (tmp_path / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "huge.html").write_bytes(b"<!doctype html><div class=ai>" + b"x" * 5000 + b"</div>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.htm").write_bytes(b"<!doctype html><div class=ai>x</div>")
    report = scan_target(str(tmp_path), RULES, options=TargetOptions(crawl=CrawlOptions(max_bytes=4096)))
    assert sorted(page.url for page in report.pages) == ["/broken.html", "/sub/ok.htm"]
    reasons = {entry["url"]: entry["reason"] for entry in report.skipped}
    assert "binary" in reasons["/image.html"] and "4096-byte limit" in reasons["/huge.html"]
    json.dumps(report.to_json())  # serialisable as it is


def test_targets_that_are_not_there(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        scan_target(str(tmp_path / "missing"), RULES)
    with pytest.raises(InputError, match=r"no \.html files"):
        scan_target(str(tmp_path), RULES)


def test_local_images_that_say_they_are_generated(tmp_path: Path) -> None:
    xmp = (b"<x:xmpmeta><rdf:Description><Iptc4xmpExt:DigitalSourceType rdf:resource="
           b'"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></rdf:Description></x:xmpmeta>')
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "gen.jpg").write_bytes(b"\xff\xd8" + xmp + b"\xff\xd9")
    (tmp_path / "img" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    (tmp_path / "index.html").write_bytes(b'<!doctype html><img src="img/gen.jpg" alt=a><img src="/img/gen.jpg" alt=b>'
                                          b'<img src="img/photo.jpg" alt=c><img src="../../etc/passwd" alt=d>'
                                          b'<img src="https://cdn.example/gen.jpg" alt=e>')
    report = scan_target(str(tmp_path), [])
    assert [(i.detected_by, i.kind) for i in report.pages[0].items] == [("image-metadata", "image")] * 2
