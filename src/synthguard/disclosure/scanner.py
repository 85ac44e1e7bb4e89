"""The disclosure scanner: find AI-generated items on a page and check that each is disclosed.

An item is an element a declaration's selector matches on that URL, an element already marked
``data-synthetic="true"``, or a local image whose XMP says it is algorithmic media. Each item must
carry ``data-synthetic="true"`` and its generator / source attributes, have a visible label within it
or next to it, point at that label with ``aria-describedby``, and (images) not have alt text that
passes it off as a photograph; a full page with items needs a page-level marker. The rules are those of
``vocabulary.py`` and docs/disclosure.md. Parsing is lexbor (selectolax); one CSS traversal finds every
item, and line numbers are looked up only for pages that have items. Labels and visibility are in
``labels.py``, the page-level marker in ``pagemarker.py``, source positions and locators in ``locating.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from . import tokenizer
from . import vocabulary as v
from .declarations import Declaration, DeclarationSet, as_set
from .encoding import Encoding, decode, sniff
from .imagemeta import is_ai_generated
from .labels import LABEL_SELECTOR, labels_of, passes_as_photo
from .locating import locate, locate_exact, locator
from .pagemarker import json_values, page_marker_gap
from .surface import WIDGETS, classify, is_widget, matches

MARKED = f'[{v.SYNTHETIC}="true" i]'
_FULL_DOCUMENT = re.compile(rb"<(?:!doctype|html|head|body)[\t\n\f\r />]", re.IGNORECASE)
_FEW_ITEMS = 16  # up to this many candidate elements, each is tested on its own (see _matcher)
_IMAGE_TAGS = frozenset({"img", "picture", "svg", "video", "canvas"})
# The page's own product (product pages); data-sku / data-product-sku on cards count only for what they wrap.
_SKU_SELECTOR = '[itemprop="sku"], meta[property="product:retailer_item_id"]'


@dataclass(frozen=True)
class ScanOptions:
    lines: bool = True  # look up the source line of each item (costs a tokenizer pass on pages with items)
    image_metadata: bool = True  # read local images' XMP (directory scans only)


@dataclass(frozen=True)
class Gap:
    """One missing piece of disclosure on one page."""

    check: str
    rule: str
    message: str
    url: str
    surface: str
    locator: str
    line: int | None = None
    selector: str | None = None
    origin: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Item:
    """One AI-generated element and what its disclosure lacks (``gaps`` empty: disclosed)."""

    locator: str
    tag: str
    kind: str
    surface: str
    detected_by: str  # declaration | data-synthetic | image-metadata
    line: int | None = None
    generator: str | None = None
    dataset: str | None = None
    selector: str | None = None
    origin: str | None = None
    gaps: tuple[str, ...] = ()

    @property
    def disclosed(self) -> bool:
        return not self.gaps

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "gaps": list(self.gaps), "disclosed": self.disclosed}


@dataclass(frozen=True)
class PageReport:
    url: str
    surface: str
    encoding: str
    fragment: bool
    items: tuple[Item, ...] = ()
    gaps: tuple[Gap, ...] = ()
    notes: tuple[str, ...] = ()
    status: int | None = None  # HTTP status when crawled

    @property
    def ok(self) -> bool:
        return not self.gaps

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "surface": self.surface, "encoding": self.encoding, "fragment": self.fragment,
                "status": self.status, "items": [i.to_json() for i in self.items],
                "gaps": [g.to_json() for g in self.gaps], "notes": list(self.notes)}


class Document:
    """A parsed page. ``tree_data`` (the rewriter's annotated copy) is parsed instead of ``data`` when given."""

    def __init__(self, data: bytes, url: str = "/", content_type: str | None = None,
                 tree_data: bytes | None = None, encoding: Encoding | None = None) -> None:
        self.data = data
        self.url = url
        self.encoding = encoding or sniff(data, content_type)
        source = data if tree_data is None else tree_data
        # lexbor reads bytes as UTF-8; anything else is decoded first (offsets stay in ``data``).
        self.tree = LexborHTMLParser(source if self.encoding.is_utf8 and not self.encoding.bom
                                     else decode(source, self.encoding))
        self.fragment = _FULL_DOCUMENT.search(data, 0, 1 << 16) is None


@dataclass
class Finding:
    """The scanner's working record of one item; the rewriter reads it to plan edits."""

    node: LexborNode
    declaration: Declaration | None
    detected_by: str
    kind: str = "text"
    surface: str = "other"
    gaps: dict[str, str] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)  # attributes to write: name -> value
    labels: list[LexborNode] = field(default_factory=list)  # visible labels near the item
    bad_alts: list[LexborNode] = field(default_factory=list)


@dataclass
class Analysis:
    document: Document
    surface: str
    findings: list[Finding]
    page_gap: str | None
    notes: list[str]


def scan_html(data: bytes, declarations: DeclarationSet | Iterable[Declaration], *, url: str = "/",
              content_type: str | None = None, file: Path | None = None, root: Path | None = None,
              options: ScanOptions = ScanOptions()) -> PageReport:
    """Scan one page. ``file`` / ``root`` (directory scans) let images' metadata be read from disk."""
    document = Document(data, url, content_type)
    analysis = analyse(document, as_set(declarations), file=file, root=root, options=options)
    return report_of(analysis, lines=options.lines)


def analyse(document: Document, declarations: DeclarationSet, *, file: Path | None = None,
            root: Path | None = None, options: ScanOptions = ScanOptions()) -> Analysis:
    tree = document.tree
    notes: list[str] = []
    rules = declarations.for_url(document.url)
    findings = _find_items(document, declarations, rules, file, root, options)
    surface = classify(tree, document.url)
    page_gap = None
    if findings:
        # Many items: one traversal each for widgets and labels is cheaper than walking from every item.
        many = len(findings) > 40
        widgets = {node.mem_id for node in tree.css(WIDGETS)} if many else None
        item_ids = {f.node.mem_id for f in findings}
        claimed: dict[str, set[int]] = {}  # label id -> items whose aria-describedby names it
        for finding in findings:
            for ident in (finding.node.attributes.get("aria-describedby") or "").split():
                claimed.setdefault(ident, set()).add(finding.node.mem_id)
        # Labels marked as such anywhere on the page: when there are none, no item needs to look inside.
        marked_labels = bool(tree.css_first(LABEL_SELECTOR)) if many else True
        for finding in findings:
            _check(finding, item_ids, claimed, widgets, surface, marked_labels)
        if not document.fragment:
            page_gap = page_marker_gap(tree, notes)
    return Analysis(document, surface, findings, page_gap, notes)


# -- finding items -----------------------------------------------------------------------------------


def _find_items(document: Document, declarations: DeclarationSet, rules: Sequence[Declaration],
                file: Path | None, root: Path | None, options: ScanOptions) -> list[Finding]:
    tree = document.tree
    found: dict[int, Finding] = {}
    skus: list[set[str]] = []  # the page's own SKUs, read once and only if a SKU rule's selector matched

    def sku_applies(node: LexborNode, sku: str) -> bool:
        if not skus:
            skus.append(_page_skus(tree))
        return sku in skus[0] or _card_sku(node) == sku

    # One traversal for every rule (URL and SKU) and the data-synthetic marker.
    selector = declarations.combined(rules)
    nodes = tree.css(f"{selector}, {MARKED}" if selector else MARKED)
    matcher = _matcher(tree, rules, len(nodes))
    for node in nodes:
        marked = (node.attributes.get(v.SYNTHETIC) or "").strip().lower() == "true"
        rule = _rule_for(node, rules, marked, sku_applies, matcher)
        if rule is not None or marked:
            found[node.mem_id] = Finding(node, rule, "declaration" if rule else "data-synthetic")
    if options.image_metadata and (file is not None or root is not None):
        for img in tree.css("img[src]"):
            path = _local_image(img.attributes.get("src") or "", file, root)
            if img.mem_id not in found and path is not None and is_ai_generated(path):
                found[img.mem_id] = Finding(img, None, "image-metadata")
    return list(found.values())


def _rule_for(node: LexborNode, rules: Sequence[Declaration], marked: bool,
              sku_applies: Callable[[LexborNode, str], bool],
              matcher: Callable[[LexborNode, str], bool] = matches) -> Declaration | None:
    """The first rule (manifest order) whose selector matches and whose SKU, if any, is this product's."""
    only = len(rules) == 1 and not marked  # matched the combined selector and is not marked: this rule's
    for rule in rules:
        if (only or matcher(node, rule.selector)) and (rule.sku is None or sku_applies(node, rule.sku)):
            return rule
    return None


def _matcher(tree: LexborHTMLParser, rules: Sequence[Declaration], found: int) -> Callable[[LexborNode, str], bool]:
    """How to test an element against one rule's selector. ``matches`` searches the element's subtree (a
    whole widget for a container), which adds up over many items: then one traversal per selector is
    cheaper, read as a set of elements."""
    if found <= _FEW_ITEMS or len(rules) < 2:
        return matches
    members: dict[str, set[int]] = {}

    def member(node: LexborNode, selector: str) -> bool:
        ids = members.get(selector)
        if ids is None:
            ids = members[selector] = {element.mem_id for element in tree.css(selector)}
        return node.mem_id in ids

    return member


def _page_skus(tree: LexborHTMLParser) -> set[str]:
    skus = set()
    for node in tree.css(_SKU_SELECTOR):
        attrs = node.attributes
        value = attrs.get("content") or node.text()
        if value and value.strip():
            skus.add(value.strip())
    for script in tree.css('script[type="application/ld+json" i]'):
        for value in json_values(script.text(), "sku"):
            skus.add(value.strip())
    return skus


def _card_sku(node: LexborNode | None) -> str | None:
    """The SKU of the product card an element sits in (listing pages)."""
    while node is not None and node.is_element_node:
        attrs = node.attributes
        value = attrs.get("data-product-sku") or attrs.get("data-sku")
        if value:
            return value.strip()
        node = node.parent
    return None


def _local_image(src: str, file: Path | None, root: Path | None) -> Path | None:
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        if root is None:
            return None
        candidate = (root / path.lstrip("/")).resolve()
    elif file is not None:
        candidate = (file.parent / path).resolve()
    else:
        return None
    # Never read outside the scanned tree (an ../../ src in a page is not an invitation).
    base = root if root is not None else file.parent if file is not None else None
    if base is not None and not candidate.is_relative_to(base.resolve()):
        return None
    return candidate if candidate.is_file() else None


# -- checking one item -------------------------------------------------------------------------------


def _check(finding: Finding, item_ids: set[int], claimed: dict[str, set[int]], widgets: set[int] | None,
           page_surface: str, marked_labels: bool = True) -> None:
    """``widgets``: the widget elements' ids, or None to test the item's ancestors one by one."""
    node, rule = finding.node, finding.declaration
    attrs = node.attributes
    finding.kind = _kind(finding, widgets)
    finding.surface = "recommendations" if finding.kind == "recommendations" or _in_widget(node, widgets) \
        else page_surface
    gaps = finding.gaps
    if (attrs.get(v.SYNTHETIC) or "").strip().lower() != "true":
        gaps["data-synthetic"] = f'<{node.tag}> is not marked {v.SYNTHETIC}="true"'
    expected: dict[str, str] = {}
    if rule is not None:
        expected[v.GENERATOR] = rule.generator
        if rule.dataset:
            expected[v.SOURCE] = rule.dataset
    elif not (attrs.get(v.GENERATOR) or "").strip():
        expected[v.GENERATOR] = "unknown"
    wrong = [f'{name}="{value}"' for name, value in expected.items() if (attrs.get(name) or "").strip() != value]
    finding.expected = expected
    if wrong:
        gaps["source-attributes"] = "expected " + ", ".join(wrong)
    labels, hidden = labels_of(node, item_ids, claimed, marked_labels)
    finding.labels = labels
    if not labels:
        gaps["visible-label"] = "no visible AI-generated label in or next to the item" + (
            f" ({hidden} label(s) found but hidden)" if hidden else "")
    ids = {label.attributes.get("id") for label in labels} - {None, ""}
    described = set((attrs.get("aria-describedby") or "").split())
    if not ids & described:
        gaps["aria-describedby"] = ("aria-describedby does not name the label's id" if ids else
                                    "aria-describedby has no visible label (with an id) to point at")
    images = [node] if node.tag == "img" else (node.css("img") if finding.kind == "image" else [])
    finding.bad_alts = [img for img in images if passes_as_photo(img.attributes.get("alt"))]
    if finding.bad_alts:
        alt = finding.bad_alts[0].attributes.get("alt") or ""
        gaps["alt-text"] = f"alt text {alt[:80]!r} passes the image off as a photograph"


def _kind(finding: Finding, widgets: set[int] | None) -> str:
    rule = finding.declaration
    if rule is not None and rule.kind != "auto":
        return rule.kind
    node = finding.node
    if finding.detected_by == "image-metadata" or node.tag in _IMAGE_TAGS:
        return "image"
    widget = node.mem_id in widgets if widgets is not None else is_widget(node.tag, node.attributes)
    return "recommendations" if widget else "text"


def _in_widget(node: LexborNode | None, widgets: set[int] | None) -> bool:
    while node is not None and node.is_element_node:
        if node.mem_id in widgets if widgets is not None else is_widget(node.tag, node.attributes):
            return True
        node = node.parent
    return False


# -- reporting ---------------------------------------------------------------------------------------


def _offsets(document: Document, nodes: list[LexborNode]) -> dict[int, int]:
    """Source offsets for line numbers. Many items are spread over the page, and the tokenizer would read
    all of it in Python: then the byte search of ``locate_exact`` places those it can first."""
    found = {mem_id: tag.start for mem_id, tag in locate_exact(document, nodes).items()} \
        if len(nodes) > _FEW_ITEMS else {}
    rest = [node for node in nodes if node.mem_id not in found]
    return {**found, **locate(document, rest)} if rest else found


def report_of(analysis: Analysis, *, lines: bool = True, status: int | None = None) -> PageReport:
    document = analysis.document
    offsets = _offsets(document, [f.node for f in analysis.findings]) if lines and analysis.findings else {}
    numbering = tokenizer.Lines(document.data) if offsets else None
    items, gaps = [], []
    positions: dict[int, dict[int, str]] = {}  # parent -> child -> ":nth-of-type(k)", one pass per parent
    for finding in analysis.findings:
        node, rule = finding.node, finding.declaration
        offset = offsets.get(node.mem_id)
        line = numbering.line(offset) if numbering is not None and offset is not None else None
        where = locator(node, positions)
        items.append(Item(locator=where, tag=node.tag or "", kind=finding.kind, surface=finding.surface,
                          detected_by=finding.detected_by, line=line,
                          generator=rule.generator if rule else node.attributes.get(v.GENERATOR),
                          dataset=rule.dataset if rule else node.attributes.get(v.SOURCE),
                          selector=rule.selector if rule else None, origin=rule.origin if rule else None,
                          gaps=tuple(check for check in v.CHECKS if check in finding.gaps)))
        for check in v.CHECKS:
            if check in finding.gaps:
                gaps.append(Gap(check, v.CHECKS[check][0], finding.gaps[check], document.url, finding.surface,
                                where, line, rule.selector if rule else None, rule.origin if rule else None))
    order = sorted(range(len(items)), key=lambda i: (items[i].line or 0))
    items = [items[i] for i in order]
    gaps.sort(key=lambda g: g.line or 0)
    if analysis.page_gap is not None:
        gaps.append(Gap("page-marker", v.CHECKS["page-marker"][0], analysis.page_gap, document.url,
                        analysis.surface, "html > head"))
    return PageReport(document.url, analysis.surface, document.encoding.name, document.fragment,
                      tuple(items), tuple(gaps), tuple(analysis.notes), status)
