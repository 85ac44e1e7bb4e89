"""The disclosure scanner: find AI-generated items on a page and check that each is disclosed.

An item is an element a declaration's selector matches on that URL, an element already marked
``data-synthetic="true"``, or a local image whose XMP says it is algorithmic media. Each item must
carry ``data-synthetic="true"`` and its generator / source attributes, have a visible label within it
or next to it, point at that label with ``aria-describedby``, and (images) not have alt text that
passes it off as a photograph; a full page with items needs a page-level marker. The rules are those of
``vocabulary.py`` and docs/disclosure.md. Parsing is lexbor (selectolax); one CSS traversal finds every
item, and line numbers are looked up only for pages that have items.
"""

from __future__ import annotations

import json
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
from .surface import WIDGETS, classify, is_widget, matches

LABEL_SELECTOR = f".{v.LABEL_CLASS}, [{v.LABEL_ATTRIBUTE}]"
MARKED = f'[{v.SYNTHETIC}="true" i]'
_FULL_DOCUMENT = re.compile(rb"<(?:!doctype|html|head|body)[\t\n\f\r />]", re.IGNORECASE)
_IMAGE_TAGS = frozenset({"img", "picture", "svg", "video", "canvas"})
_NEVER_VISIBLE = frozenset({"template", "noscript", "script", "style", "head", "title"})
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
            page_gap = _page_marker_gap(tree, notes)
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
    for node in tree.css(f"{selector}, {MARKED}" if selector else MARKED):
        marked = (node.attributes.get(v.SYNTHETIC) or "").strip().lower() == "true"
        rule = _rule_for(node, rules, marked, sku_applies)
        if rule is not None or marked:
            found[node.mem_id] = Finding(node, rule, "declaration" if rule else "data-synthetic")
    if options.image_metadata and (file is not None or root is not None):
        for img in tree.css("img[src]"):
            path = _local_image(img.attributes.get("src") or "", file, root)
            if img.mem_id not in found and path is not None and is_ai_generated(path):
                found[img.mem_id] = Finding(img, None, "image-metadata")
    return list(found.values())


def _rule_for(node: LexborNode, rules: Sequence[Declaration], marked: bool,
              sku_applies: Callable[[LexborNode, str], bool]) -> Declaration | None:
    """The first rule (manifest order) whose selector matches and whose SKU, if any, is this product's."""
    only = len(rules) == 1 and not marked  # matched the combined selector and is not marked: this rule's
    for rule in rules:
        if (only or matches(node, rule.selector)) and (rule.sku is None or sku_applies(node, rule.sku)):
            return rule
    return None


def _page_skus(tree: LexborHTMLParser) -> set[str]:
    skus = set()
    for node in tree.css(_SKU_SELECTOR):
        attrs = node.attributes
        value = attrs.get("content") or node.text()
        if value and value.strip():
            skus.add(value.strip())
    for script in tree.css('script[type="application/ld+json" i]'):
        for value in _json_values(script.text(), "sku"):
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
    labels, hidden = _labels(node, item_ids, claimed, marked_labels)
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


def passes_as_photo(alt: str | None) -> bool:
    return bool(alt) and v.PHOTO_CLAIM.search(alt or "") is not None and v.AI_PHRASE.search(alt or "") is None


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


def _labels(node: LexborNode, item_ids: set[int], claimed: dict[str, set[int]],
            marked_labels: bool = True) -> tuple[list[LexborNode], int]:
    """Visible labels within the item or as its adjacent element sibling, and how many hidden ones. A
    sibling label that another item's aria-describedby names belongs to that item, not to this one."""
    candidates = [(label, node) for label in node.css(LABEL_SELECTOR) if label.mem_id != node.mem_id] \
        if marked_labels else []
    if not candidates and v.AI_PHRASE.search(node.text()):
        candidates = [(d, node) for d in node.traverse(include_text=False)
                      if d.is_element_node and d.mem_id != node.mem_id and _reads_as_label(d)]
    parent = node.parent
    for sibling in (_element_sibling(node, backwards=True), _element_sibling(node, backwards=False)):
        if sibling is None or sibling.mem_id in item_ids or parent is None:
            continue
        owners = claimed.get(sibling.attributes.get("id") or "", set())
        if owners and node.mem_id not in owners:
            continue
        if _marked_label(sibling.attributes) or _reads_as_label(sibling):
            candidates.append((sibling, parent))
    visible = [label for label, stop in candidates if _visible(label, stop)]
    return visible, len(candidates) - len(visible)


def _marked_label(attrs: dict[str, str | None]) -> bool:
    return v.LABEL_ATTRIBUTE in attrs or v.LABEL_CLASS in (attrs.get("class") or "").split()


def _reads_as_label(node: LexborNode) -> bool:
    text = node.text(strip=True)
    return 0 < len(text) <= v.LABEL_MAX_CHARS and v.AI_PHRASE.search(text) is not None


def _element_sibling(node: LexborNode, *, backwards: bool) -> LexborNode | None:
    sibling = node.prev if backwards else node.next
    while sibling is not None and not sibling.is_element_node:
        sibling = sibling.prev if backwards else sibling.next
    return sibling


def _visible(label: LexborNode, stop: LexborNode) -> bool:
    node: LexborNode | None = label
    while node is not None and node.mem_id != stop.mem_id:
        if node.tag in _NEVER_VISIBLE or hidden(node.attributes):
            return False
        node = node.parent
    return True


def hidden(attrs: dict[str, str | None]) -> bool:
    """Hidden from sighted users or from assistive technology by this element's own attributes."""
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if (attrs.get("type") or "").lower() == "hidden":
        return True
    style = attrs.get("style")
    if style and v.HIDDEN_STYLE.search(style):
        return True
    classes = attrs.get("class")
    return bool(classes) and not v.HIDDEN_CLASSES.isdisjoint((classes or "").split())


# -- the page-level marker ---------------------------------------------------------------------------


def _page_marker_gap(tree: LexborHTMLParser, notes: list[str]) -> str | None:
    query = f'meta[name="{v.META_NAME}" i]'
    head = tree.head
    metas = (head.css(query) if head is not None else []) or tree.css(query)
    for meta in metas:
        if (meta.attributes.get("content") or "").strip().lower() not in v.META_NEGATIVE:
            return None
    for script in tree.css('script[type="application/ld+json" i]'):
        try:
            values = _json_values(script.text(), "digitalSourceType", strict=True)
        except ValueError:
            notes.append("a JSON-LD block is not valid JSON (ignored)")
            continue
        if any(re.split(r"[/#:]", value.rstrip("/"))[-1].lower() in v.AI_SOURCE_TYPES for value in values):
            return None
    if metas:
        return f'<meta name="{v.META_NAME}"> says there is no AI-generated content, but there is'
    return f'no <meta name="{v.META_NAME}"> or JSON-LD digitalSourceType for the AI-generated items'


def _json_values(text: str, key: str, *, strict: bool = False) -> list[str]:
    """String values of ``key`` anywhere in a JSON document (JSON-LD graphs nest freely)."""
    try:
        data = json.loads(text)
    except ValueError:
        if strict:
            raise
        return []
    found: list[str] = []
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, inner in value.items():
                if k == key and isinstance(inner, str):
                    found.append(inner)
                elif k == key and isinstance(inner, list):
                    found.extend(x for x in inner if isinstance(x, str))
                else:
                    stack.append(inner)
        elif isinstance(value, list):
            stack.extend(value)
    return found


# -- reporting ---------------------------------------------------------------------------------------


def report_of(analysis: Analysis, *, lines: bool = True, status: int | None = None) -> PageReport:
    document = analysis.document
    offsets = locate(document, [f.node for f in analysis.findings]) if lines and analysis.findings else {}
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


_IDENT = re.compile(r"[A-Za-z][\w-]*")
_CLASS = re.compile(r"-?[A-Za-z_][\w-]*")


def locator(node: LexborNode, positions: dict[int, dict[int, str]] | None = None) -> str:
    """A CSS path that finds this element again (ids end the walk; classes and :nth-of-type otherwise).
    ``positions`` caches each parent's children's :nth-of-type across calls on one page."""
    cache = {} if positions is None else positions
    parts = []
    current: LexborNode | None = node
    while current is not None:
        tag = current.tag or "*"
        if tag in ("html", "body", "-document") or not current.is_element_node:
            break
        attrs = current.attributes
        ident = attrs.get("id")
        if ident and _IDENT.fullmatch(ident):
            parts.append(f"{tag}#{ident}")
            break
        classes = attrs.get("class")
        part = tag + "".join("." + c for c in classes.split()[:3] if _CLASS.fullmatch(c)) if classes else tag
        parent = current.parent
        if parent is not None:
            key = parent.mem_id
            siblings = cache.get(key)
            if siblings is None:
                siblings = cache[key] = _nth_of_type(parent)
            if siblings:
                part += siblings.get(current.mem_id, "")
        parts.append(part)
        current = parent
    return " > ".join(reversed(parts)) or (node.tag or "")


def _nth_of_type(parent: LexborNode) -> dict[int, str]:
    """For each element child that shares its tag with a sibling, its ``:nth-of-type(k)``."""
    by_tag: dict[str | None, list[int]] = {}
    for child in parent.iter():
        by_tag.setdefault(child.tag, []).append(child.mem_id)
    if len(by_tag) == sum(map(len, by_tag.values())):
        return {}
    return {mem_id: f":nth-of-type({k})" for ids in by_tag.values() if len(ids) > 1
            for k, mem_id in enumerate(ids, 1)}


def locate(document: Document, nodes: Sequence[LexborNode]) -> dict[int, int]:
    """Source offsets of elements, by their position among same-named start tags, kept only where the
    attributes agree (implied or re-parented elements get no offset rather than a wrong one)."""
    wanted: dict[str, list[LexborNode]] = {}
    for node in nodes:
        wanted.setdefault(node.tag or "", []).append(node)
    ordinals: dict[int, int] = {}
    needed: dict[str, int] = {}  # how many start tags of each name to read before stopping
    for name, group in wanted.items():
        try:
            ordinal = {n.mem_id: i for i, n in enumerate(document.tree.css(name))}
        except Exception:  # a tag name lexbor cannot use as a selector: no line numbers for it
            continue
        for node in group:
            if node.mem_id in ordinal:
                ordinals[node.mem_id] = ordinal[node.mem_id]
                needed[name] = max(needed.get(name, 0), ordinal[node.mem_id] + 1)
    by_name: dict[str, list[tokenizer.StartTag]] = {name: [] for name in needed}
    pending = len(needed)
    for tag in tokenizer.iter_start_tags(document.data):  # stop once the last item's tag is read
        sources = by_name.get(tag.name)
        if sources is None or len(sources) >= needed[tag.name]:
            continue
        sources.append(tag)
        if len(sources) == needed[tag.name]:
            pending -= 1
            if not pending:
                break
    found: dict[int, int] = {}
    for node in nodes:
        index = ordinals.get(node.mem_id)
        sources = by_name.get(node.tag or "", [])
        if index is not None and index < len(sources) and _same_attributes(document, sources[index], node):
            found[node.mem_id] = sources[index].start
    return found


def _same_attributes(document: Document, tag: tokenizer.StartTag, node: LexborNode) -> bool:
    written: dict[str, bytes | None] = {}
    for attr in tokenizer.attributes(document.data, tag):
        written.setdefault(attr.name, attr.value)
    parsed = node.attributes
    if set(written) != set(parsed):
        return False
    for name in ("id", "class", "src", "href"):
        raw = written.get(name)
        if raw is not None and b"&" not in raw and raw.decode(document.encoding.name, "replace") != parsed.get(name):
            return False
    return True
