"""Pages with many AI-generated items (a long listing: a storefront fixture's body repeated) take the
scanner's shortcuts for many items: rules matched through one traversal per selector, line numbers found
by byte search. Both must give what the per-element paths give."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from synthguard.disclosure import DeclarationSet, load_manifest, scan_html
from synthguard.disclosure.locating import locate
from synthguard.disclosure.scanner import MARKED, Document, _matcher, _offsets, _rule_for
from synthguard.disclosure.surface import matches

FIXTURES = Path(__file__).parent / "fixtures"
RULES = DeclarationSet(load_manifest(FIXTURES / "declarations.csv"))
_BODY = re.compile(rb"(<body[^>]*>)(.*?)(</body>)", re.IGNORECASE | re.DOTALL)
PAGES = [(e["url"], FIXTURES / e["file"]) for e in json.loads((FIXTURES / "index.json").read_text())["pages"]
         if not e["file"].startswith("edge/")]


def _dense(path: Path, copies: int = 12) -> bytes:
    data = path.read_bytes()
    match = _BODY.search(data)
    if match is None:
        return data * copies
    return data[:match.start(2)] + match.group(2) * copies + data[match.end(2):]


@pytest.mark.parametrize(("url", "path"), PAGES[::3], ids=lambda p: str(p)[-30:])
def test_many_items_are_matched_and_placed_as_one_by_one(url: str, path: Path) -> None:
    single, dense = scan_html(path.read_bytes(), RULES, url=url), scan_html(_dense(path), RULES, url=url)
    assert len(dense.items) == 12 * len(single.items)
    document = Document(_dense(path), url)
    rules = RULES.for_url(url)
    nodes = document.tree.css(", ".join([*(r.selector for r in rules), MARKED]))
    member = _matcher(document.tree, rules, len(nodes))
    for node in nodes:  # the same rule, whichever way the selectors are tested
        assert _rule_for(node, rules, False, lambda n, sku: True, member) == \
            _rule_for(node, rules, False, lambda n, sku: True, matches)
    items = [n for n in nodes if _rule_for(n, rules, False, lambda n, sku: True)]
    by_search, by_tokenizer = _offsets(document, items), locate(document, items)
    assert by_search == {k: v for k, v in by_tokenizer.items() if k in by_search}
    assert set(by_tokenizer) <= set(by_search)
