"""The rewriter's fast locator (``locating.locate_exact``) only ever names the start tag an element really
came from: checked against the annotated parse (every start tag carries its index) over generated markup
with comments, raw text, misnested formatting, stray end tags and tables; and the rewriter gives the same
bytes whether it takes the fast path or the annotated one."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborNode
from test_disclosure_rewriter import RULES, page
from test_disclosure_tokenizer import CHUNK, _annotated

from synthguard.disclosure import locating, rewriter
from synthguard.disclosure.rewriter import rewrite_page
from synthguard.disclosure.scanner import Document

TRICKY = st.sampled_from([
    "</p>", "</br>", "<b><div class=x>", "</b>", "<a href=1><div>", "</a>", "<table><tr><td>", "<div>t</div>",
    "<p class=x>", "<section id=s>", "<html lang=en>", "<head>", "<!-- <div> -->", "<script>'<div>'</script>",
    "<span title='<div>'>", "<template><div>", "</template>", "<form><form>", "<svg><div>", "<noscript><div>",
])
PROLOGUE = st.sampled_from(["", "<!doctype html>", "<!doctype html>\n<html>", "<html><head>", "x<html><head>",
                            "<!-- c --><!DOCTYPE html><HTML><!-- d --><head>"])
# Markup without tables, templates, SVG or selects, where the fast locator is meant to place most elements.
PLAIN_NAMES = st.sampled_from(["div", "p", "span", "b", "i", "a", "br", "section", "ul", "li", "em", "DIV", "P"])
PLAIN = st.one_of(
    st.builds(lambda n, c: f"<{n} class={c}>", PLAIN_NAMES, st.sampled_from(["x", "y", '"x y"'])),
    PLAIN_NAMES.map(lambda n: f"<{n}>"), PLAIN_NAMES.map(lambda n: f"</{n}>"), st.just("text"),
    st.sampled_from(["<!-- <p class=x> -->", "<script>'<b class=x>'</script>", "<i title='<p>'>", "</br>"]))
DOCUMENT = st.tuples(PROLOGUE, st.lists(st.one_of(CHUNK, TRICKY, PLAIN, PLAIN), max_size=30)).map(
    lambda t: t[0] + "".join(t[1]))


def _elements(root: LexborNode | None) -> list[LexborNode]:
    assert root is not None
    return [node for node in root.traverse(include_text=False) if node.is_element_node]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_fast_locations_are_the_start_tags_the_elements_came_from(html: str) -> None:
    data = html.encode()
    document = Document(data)
    plain = _elements(document.tree.root)
    tags, annotated_tree = _annotated(data)
    annotated = _elements(annotated_tree.root)
    assert [n.tag for n in plain] == [n.tag for n in annotated]  # same tree, plus an attribute
    by_bytes = locating.locate_exact(document, plain)
    counted = locating.locate_exact(document, plain, tags)  # every start tag given: p, b, br … too
    for found in (by_bytes, counted):
        for node, twin in zip(plain, annotated, strict=True):
            tag = found.get(node.mem_id)
            if tag is None:
                continue
            position = twin.attributes.get("data-pos")
            assert position is not None and tags[int(position)] == tag, (node.tag, tag, html)


def test_the_fast_path_is_taken_on_plain_pages_and_not_where_order_is_uncertain() -> None:
    simple = b"<!doctype html><html><head><title>t</title></head><body><div class=a>x</div><div class=b>y</div>"
    document = Document(simple)
    nodes = document.tree.css("div, html, head")
    found = locating.locate_exact(document, nodes)
    assert [simple[found[n.mem_id].start:found[n.mem_id].end] for n in nodes] == [
        b"<html>", b"<head>", b"<div class=a>", b"<div class=b>"]
    # A <div> inside a script string is no start tag: the k-th "<div" is then found by the tokenizer.
    scripted = simple.replace(b"<body>", b"<body><script>var s = '<div class=a>';</script>")
    document = Document(scripted)
    found = locating.locate_exact(document, document.tree.css("div"))
    assert [scripted[t.start:t.end] for t in found.values()] == [b"<div class=a>", b"<div class=b>"]
    assert found and min(t.start for t in found.values()) > scripted.index(b"</script>")
    # Tables may foster-parent (reorder), so nothing there is certain.
    table = Document(b"<table><tr><td><div>a</div></td></tr><div>b</div></table>")
    assert locating.locate_exact(table, table.tree.css("div")) == {}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page())
def test_fast_and_annotated_rewrites_are_byte_identical(case: tuple[bytes, int]) -> None:
    original, _ = case
    fast = rewrite_page(original, RULES, url="/p")
    real = getattr(rewriter, "orderly")  # noqa: B009 - the name the rewriter calls
    try:
        setattr(rewriter, "orderly", lambda document: False)  # noqa: B010 - force the annotated path
        annotated = rewrite_page(original, RULES, url="/p")
    finally:
        setattr(rewriter, "orderly", real)  # noqa: B010
    assert fast == annotated
