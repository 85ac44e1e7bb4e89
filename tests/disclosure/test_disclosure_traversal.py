"""The scanner finds items with one CSS traversal for every rule's selector and the data-synthetic marker,
then works out which rule each element belongs to. That must give exactly the (element, rule) pairs of
one traversal per selector, in document order: on the storefront fixtures (as they are and repeated, so
both ways of telling the rules apart run) and on generated pages and rule sets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from synthguard.disclosure import Declaration, DeclarationSet, ScanOptions, load_manifest
from synthguard.disclosure import vocabulary as v
from synthguard.disclosure.scanner import _FEW_ITEMS, MARKED, Document, _card_sku, _find_items, _page_skus

FIXTURES = Path(__file__).parent / "fixtures"
RULES = DeclarationSet(load_manifest(FIXTURES / "declarations.csv"))
PAGES = [(e["url"], FIXTURES / e["file"]) for e in json.loads((FIXTURES / "index.json").read_text())["pages"]]
NO_IMAGES = ScanOptions(image_metadata=False)

Pair = tuple[int, int | None]  # element mem_id, index of its rule in the declarations (None: marked only)


def separately(tree: LexborHTMLParser, declarations: Sequence[Declaration], rules: Sequence[Declaration]) -> list[Pair]:
    """The reference: one traversal per selector; an element belongs to the first rule (manifest order)
    whose selector matches it and whose SKU, if any, is the page's or its card's."""
    members = [{n.mem_id for n in tree.css(rule.selector)} for rule in rules]
    nodes: dict[int, LexborNode] = {}
    for selector in [*(rule.selector for rule in rules), MARKED]:
        for node in tree.css(selector):
            nodes.setdefault(node.mem_id, node)
    order = {n.mem_id: i for i, n in enumerate(tree.root.traverse(include_text=False))} if tree.root else {}
    skus = _page_skus(tree)
    pairs: list[Pair] = []
    for mem_id in sorted(nodes, key=lambda ident: order[ident]):
        node = nodes[mem_id]
        rule = next((r for r, ids in zip(rules, members, strict=True) if mem_id in ids and
                     (r.sku is None or r.sku in skus or _card_sku(node) == r.sku)), None)
        if rule is not None or (node.attributes.get(v.SYNTHETIC) or "").strip().lower() == "true":
            pairs.append((mem_id, None if rule is None else _index(declarations, rule)))
    return pairs


def combined(document: Document, declarations: DeclarationSet) -> list[Pair]:
    found = _find_items(document, declarations, declarations.for_url(document.url), None, None, NO_IMAGES)
    return [(f.node.mem_id, None if f.declaration is None else _index(declarations.declarations, f.declaration))
            for f in found]


def _index(declarations: Sequence[Declaration], rule: Declaration) -> int:
    return next(i for i, d in enumerate(declarations) if d is rule)


@pytest.mark.parametrize("copies", [1, 12])
def test_fixture_pages_match_as_with_one_traversal_per_selector(copies: int) -> None:
    many = 0
    for url, path in PAGES:
        data = path.read_bytes()
        # Repeating the whole page keeps it parseable (a second <html> merges) and multiplies its items.
        document = Document(data * copies, url)
        pairs = combined(document, RULES)
        assert pairs == separately(document.tree, RULES.declarations, RULES.for_url(url)), url
        many += len(pairs) > _FEW_ITEMS
    assert many > 10 if copies > 1 else many == 0  # both ways of telling rules apart were exercised


# -- generated pages --------------------------------------------------------------------------------

SELECTORS = [".a", ".b", "div.a", ".a .b", ".a > .b", "p", "span.b.c", "[data-x]", '[data-x="1"]',
             ":is(.a, .c) p", "div:not(.a)", ".c + .b", "section .a.b", ".b, .c", "li:first-child"]
_TAGS = ["div", "p", "span", "section", "ul", "li"]


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attrs = []
    classes = draw(st.lists(st.sampled_from(["a", "b", "c", "A"]), max_size=3, unique=True))
    if classes:
        attrs.append(f'class="{" ".join(classes)}"')
    for name, values in (("data-x", ["1", "2", ""]), (v.SYNTHETIC, ["true", "TRUE", "false", " true "]),
                         ("data-sku", ["S1", "S2"])):
        value = draw(st.none() | st.sampled_from(values))
        if value is not None:
            attrs.append(f'{name}="{value}"')
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 3 else []
    return f"<{tag} {' '.join(attrs)}>{''.join(children)}</{tag}>"


@st.composite
def rule_sets(draw: st.DrawFn) -> list[Declaration]:
    picks = draw(st.lists(st.tuples(st.sampled_from(SELECTORS), st.sampled_from([None, None, "S1", "S2"])),
                          min_size=1, max_size=6))
    return [Declaration(selector, f"gen-{i}", url_pattern="*" if sku is None else None, sku=sku, origin=f"row {i}")
            for i, (selector, sku) in enumerate(picks)]


@settings(max_examples=150, deadline=None)
@given(body=st.lists(elements(), min_size=1, max_size=6), rules=rule_sets(), copies=st.sampled_from([1, 1, 6]),
       page_sku=st.sampled_from(["", '<meta itemprop="sku" content="S1">']))
def test_generated_pages_match_as_with_one_traversal_per_selector(body: list[str], rules: list[Declaration],
                                                                  copies: int, page_sku: str) -> None:
    html = f"<!doctype html><html><head>{page_sku}</head><body>{''.join(body) * copies}</body></html>"
    declarations = DeclarationSet(rules)
    document = Document(html.encode(), "/p")
    assert combined(document, declarations) == separately(document.tree, declarations.declarations,
                                                          declarations.for_url("/p"))
