"""The rewriter: add the missing disclosure to a page by inserting bytes at exact offsets.

``rewrite_html(data, declarations)`` returns the page with, for each gap the scanner finds:
``data-synthetic`` / generator / source attributes on the item, a visible label element with an id
(``<span class="sg-ai-label" data-synthetic-label>``; a list gets an ``<li>``, a table a ``<caption>``),
``aria-describedby`` pointing at it, alt text that no longer claims to be a photograph, and
``<meta name="ai-generated-content" content="partial">`` in the head. Nothing else changes: the page is
never re-serialised, so every byte outside the edits is the original byte (entities, attribute quoting,
whitespace, comments, broken markup and all). No script and no style attribute is added (CSP-safe); the
label is styled, if at all, by the site's CSS or the optional stylesheet link.

How offsets are found: the page is parsed once and scanned; when something needs an edit, the start
tags of just those elements are located (``locating.locate_exact``: bytes searches and one CSS query per
tag name, accepted only where the parser cannot have reordered, implied or dropped tags of that name).
If any is not certain, the slow exact path runs instead: ``tokenizer.start_tags`` lists every start tag
in the source and a copy of the page with a position attribute after each tag name is parsed by lexbor,
so each element in the tree carries the index of the start tag it came from. Elements without one
(implied by the parser, or tags the two tokenizers disagree on) are not edited and are named in the
notes. Both paths give the same bytes. Rewriting fixes exactly the gaps the scanner reports and the
scanner accepts what the rewriter writes, so a second rewrite changes nothing.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from selectolax.lexbor import LexborNode

from . import tokenizer
from . import vocabulary as v
from .declarations import Declaration, DeclarationSet, as_set
from .encoding import Encoding, sniff
from .locating import locate_exact, orderly
from .scanner import Analysis, Document, Finding, ScanOptions, analyse

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr", "param", "keygen"})
# Elements whose children would not show a label (or would break their content model): label goes before.
_BEFORE = frozenset({"select", "datalist", "picture", "video", "audio", "iframe", "canvas", "object", "svg",
                     "math", "textarea", "dl"})
# Elements no label can sit in or next to without breaking the table / list / document structure.
_UNLABELLABLE = frozenset({"thead", "tbody", "tfoot", "tr", "colgroup", "caption", "option", "optgroup",
                           "html", "head", "title", "script", "style", "template", "noscript", "frameset"})
_DOCTYPE = re.compile(rb"\s*(?:<!--.*?-->\s*)*<!doctype[^>]*>", re.IGNORECASE | re.DOTALL)
_MAY_HAVE_ITEMS = re.compile(rb"data-synthetic", re.IGNORECASE)
_RANK = {"after": 0, "inside": 1, "head": 1, "before": 2}  # order of insertions at one offset


@dataclass(frozen=True)
class RewriteOptions:
    stylesheet: str | None = None  # href of a label stylesheet to link when labels are added
    verify: bool = False  # re-scan the result and report gaps that remain
    max_bytes: int = 16 << 20  # larger pages are returned untouched


@dataclass(frozen=True)
class RewriteResult:
    data: bytes
    items: int  # AI-generated items on the page
    fixed: dict[str, int]  # gaps fixed, by check
    notes: tuple[str, ...] = ()
    remaining: int | None = None  # gaps left (only when verified)
    edits: tuple[tuple[int, int, bytes], ...] = ()  # (offset, bytes replaced, new bytes), in the original


    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def rewrite_html(data: bytes, declarations: DeclarationSet | Iterable[Declaration], *, url: str = "/",
                 content_type: str | None = None, options: RewriteOptions = RewriteOptions()) -> bytes:
    """The page with its disclosure gaps fixed; untouched bytes are the original bytes."""
    return rewrite_page(data, declarations, url=url, content_type=content_type, options=options).data


def rewrite_page(data: bytes, declarations: DeclarationSet | Iterable[Declaration], *, url: str = "/",
                 content_type: str | None = None, options: RewriteOptions = RewriteOptions(),
                 file: Path | None = None, root: Path | None = None) -> RewriteResult:
    """``rewrite_html`` with what was done; ``file`` / ``root`` let local images' metadata mark items."""
    rules = as_set(declarations)
    if len(data) > options.max_bytes:
        return RewriteResult(data, 0, {}, (f"page larger than {options.max_bytes} bytes; left as is",))
    encoding = sniff(data, content_type)
    if not encoding.ascii_compatible:
        return RewriteResult(data, 0, {}, (f"{encoding.name} pages are not rewritten (offsets are byte offsets "
                                           "in an ASCII-compatible encoding); left as is",))
    local = file is not None or root is not None
    if not rules.for_url(url) and _MAY_HAVE_ITEMS.search(data) is None and not local:
        return RewriteResult(data, 0, {})
    scan = ScanOptions(lines=False, image_metadata=local)
    document = Document(data, url, content_type, encoding=encoding)
    analysis = analyse(document, rules, file=file, root=root, options=scan)
    targets = _targets(analysis, options)
    plan = _located(analysis, options, targets) if not targets or orderly(document) else None
    if plan is None:  # not certain where something is: annotate every start tag and parse again
        tags = tokenizer.start_tags(data)
        mark = _position_attribute(data)
        document = Document(data, url, content_type, tree_data=_annotate(data, tags, mark), encoding=encoding)
        analysis = analyse(document, rules, file=file, root=root, options=scan)
        plan = _Plan(data, encoding, url, lambda node: _marked(tags, mark, node))
        plan.run(analysis, options)
    out, edits = plan.apply()
    remaining = None
    if options.verify and plan.fixed:
        check = analyse(Document(out, url, content_type), rules, file=file, root=root, options=scan)
        remaining = sum(len(f.gaps) for f in check.findings) + (check.page_gap is not None)
    return RewriteResult(out, len(analysis.findings), dict(plan.fixed), tuple(analysis.notes + plan.notes),
                         remaining, edits)


def _located(analysis: Analysis, options: RewriteOptions, targets: list[LexborNode]) -> _Plan | None:
    """The plan on the scan's own tree, with the start tags of only the elements to edit: found by byte
    search, else by counting every start tag of their names against the tree; None if still uncertain."""
    document = analysis.document
    plan = _plan_with(analysis, options, locate_exact(document, targets, checked=True))
    if plan is None:
        named = tokenizer.start_tags(document.data, {node.tag or "" for node in targets})
        plan = _plan_with(analysis, options, locate_exact(document, targets, named, checked=True))
    return plan


def _plan_with(analysis: Analysis, options: RewriteOptions, found: dict[int, tokenizer.StartTag]) -> _Plan | None:
    document = analysis.document
    plan = _Plan(document.data, document.encoding, document.url, lambda node: _known(found, node))
    try:
        plan.run(analysis, options)
    except _Unlocated:
        return None
    return plan


class _Unlocated(Exception):
    """The fast path does not know for certain where an element it must edit starts."""


def _known(found: dict[int, tokenizer.StartTag], node: LexborNode | None) -> tokenizer.StartTag | None:
    if node is None:
        return None
    tag = found.get(node.mem_id)
    if tag is None:
        raise _Unlocated
    return tag


def _marked(tags: list[tokenizer.StartTag], mark: str, node: LexborNode | None) -> tokenizer.StartTag | None:
    raw = node.attributes.get(mark) if node is not None else None
    return tags[int(raw)] if raw is not None and raw.isdigit() and int(raw) < len(tags) else None


def _targets(analysis: Analysis, options: RewriteOptions) -> list[LexborNode]:
    """Every element the plan may need the start tag of (a superset is fine: it only costs a lookup)."""
    nodes: list[LexborNode] = []
    for finding in analysis.findings:
        if finding.gaps:
            nodes.append(finding.node)
        if "aria-describedby" in finding.gaps:
            nodes.extend(finding.labels)
        if "alt-text" in finding.gaps:
            nodes.extend(finding.bad_alts)
    document = analysis.document
    if not document.fragment and (analysis.page_gap is not None or options.stylesheet):
        tree = document.tree
        head = tree.head
        if head is not None:
            nodes.extend(head.css("meta[charset], meta[http-equiv]"))
            nodes.append(head)
        html = tree.css_first("html")
        if html is not None:
            nodes.append(html)
    return nodes


def _position_attribute(data: bytes) -> str:
    """An attribute name the page does not use, to carry start-tag indexes through the parse."""
    name = "data-sgpos"
    while name.encode() in data.lower():
        name += "x"
    return name


def _annotate(data: bytes, tags: list[tokenizer.StartTag], mark: str) -> bytes:
    parts, previous = [], 0
    attr = f' {mark}="'.encode()
    for index, tag in enumerate(tags):
        parts.append(data[previous:tag.name_end])
        parts.append(attr + str(index).encode() + b'"')
        previous = tag.name_end
    parts.append(data[previous:])
    return b"".join(parts)


class _Plan:
    """The edits for one page: attribute updates per start tag, and insertions at offsets."""

    def __init__(self, data: bytes, encoding: Encoding, url: str,
                 tag_of: Callable[[LexborNode | None], tokenizer.StartTag | None]) -> None:
        self.data, self.encoding, self.url, self.tag_of = data, encoding, url, tag_of
        self.updates: dict[int, tuple[tokenizer.StartTag, dict[str, str]]] = {}  # by start offset
        self.inserts: list[tuple[int, int, int, bytes]] = []  # offset, rank, sequence, bytes
        self.notes: list[str] = []
        self.fixed: dict[str, int] = {}
        self.labels = 0
        self._ids: set[str] = set()

    def run(self, analysis: Analysis, options: RewriteOptions) -> None:
        for finding in analysis.findings:
            self.fix(finding)
        if analysis.page_gap is not None:
            self.page_marker(analysis.document, options.stylesheet)
        elif self.labels and options.stylesheet:
            self.page_marker(analysis.document, options.stylesheet, meta=False)

    def _attributes(self, tag: tokenizer.StartTag) -> dict[str, str]:
        return self.updates.setdefault(tag.start, (tag, {}))[1]

    def _done(self, check: str) -> None:
        self.fixed[check] = self.fixed.get(check, 0) + 1

    def fix(self, finding: Finding) -> None:
        node, gaps = finding.node, finding.gaps
        if not gaps:
            return
        tag = self.tag_of(node)
        if tag is None:
            if gaps:
                self.notes.append(f"<{node.tag}> ({', '.join(gaps)}) is not in the source as a start tag "
                                  "(implied by the parser or malformed); left as is")
            return
        attrs = self._attributes(tag)
        current = node.attributes
        if "data-synthetic" in gaps:
            attrs[v.SYNTHETIC] = "true"
            self._done("data-synthetic")
        if "source-attributes" in gaps:
            attrs.update({k: value for k, value in finding.expected.items() if (current.get(k) or "").strip() != value})
            self._done("source-attributes")
        label_id = None
        if "visible-label" in gaps:
            label_id = self._insert_label(finding, tag)
        elif "aria-describedby" in gaps:
            label_id = self._label_id(finding.labels) or self._insert_label(finding, tag)
        if "aria-describedby" in gaps and label_id is not None:
            attrs["aria-describedby"] = " ".join([*(current.get("aria-describedby") or "").split(), label_id])
            self._done("aria-describedby")
        for img in finding.bad_alts if "alt-text" in gaps else []:
            img_tag = self.tag_of(img)
            if img_tag is None:
                self.notes.append("an <img> with photographic alt text is not in the source as a start tag; left as is")
                continue
            self._attributes(img_tag)["alt"] = v.ALT_PREFIX + (img.attributes.get("alt") or "")
            self._done("alt-text")

    def _new_id(self, tag: tokenizer.StartTag) -> str:
        seed = zlib.crc32(f"{self.url}\0{tag.start}".encode())
        while True:
            ident = f"{v.LABEL_ID_PREFIX}{seed:08x}"
            if ident not in self._ids and f'"{ident}"'.encode() not in self.data:
                self._ids.add(ident)
                return ident
            seed = (seed + 1) & 0xFFFFFFFF

    def _label_id(self, labels: list[LexborNode]) -> str | None:
        """The id of an existing visible label, giving it one if it has none."""
        for label in labels:
            if label.attributes.get("id"):
                return label.attributes["id"]
        for label in labels:
            tag = self.tag_of(label)
            if tag is not None:
                ident = self._new_id(tag)
                self._attributes(tag)["id"] = ident
                return ident
        return None

    def _insert_label(self, finding: Finding, tag: tokenizer.StartTag) -> str | None:
        name = tag.name
        if name in _UNLABELLABLE:
            self.notes.append(f"no visible label can be placed in or next to <{name}> without breaking the page; "
                              "declare a containing element instead")
            return None
        rule = finding.declaration
        text = rule.label if rule is not None and rule.label else v.LABELS.get(finding.kind, v.LABELS["text"])
        ident = self._new_id(tag)
        element, where = "span", "inside"
        if name in _VOID:
            where = "after"
        elif name in ("ul", "ol", "menu"):
            element = "li"
        elif name == "table" and finding.node.css_first("caption") is None:
            element = "caption"
        elif name in _BEFORE or name == "table":
            where = "before"
        markup = (f'<{element} class="{v.LABEL_CLASS}" id="{ident}" {v.LABEL_ATTRIBUTE}>'
                  f"{escape(text, quote=False)}</{element}>")
        # A space keeps the label from running into the neighbouring text when no CSS styles it.
        markup = {"after": " " + markup, "before": markup + " "}.get(where, markup + (" " if element == "span" else ""))
        offset = tag.end if where in ("inside", "after") else tag.start
        self.inserts.append((offset, _RANK[where], len(self.inserts), self._encode(markup)))
        self.labels += 1
        self._done("visible-label")
        return ident

    def page_marker(self, document: Document, stylesheet: str | None, *, meta: bool = True) -> None:
        if document.fragment:
            return
        offset = self._head_offset(document)
        markup = f'<meta name="{v.META_NAME}" content="partial">' if meta else ""
        if stylesheet and self.labels and not document.tree.css(f'link[href="{escape(stylesheet)}"]'):
            markup += f'<link rel="stylesheet" href="{escape(stylesheet)}">'
        if markup:
            self.inserts.append((offset, _RANK["head"], len(self.inserts), self._encode(markup)))
        if meta:
            self._done("page-marker")

    def _head_offset(self, document: Document) -> int:
        """After ``<meta charset>`` (which must stay in the first 1024 bytes), else after ``<head>``,
        else after ``<html>``, else after the doctype."""
        tree = document.tree
        head = tree.head
        if head is not None:
            for meta in head.css("meta[charset], meta[http-equiv]"):
                attrs = meta.attributes
                if "charset" in attrs or (attrs.get("http-equiv") or "").lower() == "content-type":
                    tag = self.tag_of(meta)
                    if tag is not None:
                        return tag.end
            tag = self.tag_of(head)
            if tag is not None:
                return tag.end
        tag = self.tag_of(tree.css_first("html"))
        if tag is not None:
            return tag.end
        doctype = _DOCTYPE.match(self.data, self.encoding.bom)
        return doctype.end() if doctype else self.encoding.bom

    def _encode(self, text: str) -> bytes:
        return text.encode(self.encoding.name, "xmlcharrefreplace")

    def apply(self) -> tuple[bytes, tuple[tuple[int, int, bytes], ...]]:
        edits: list[tuple[int, int, int, int, bytes]] = []  # start, end, rank, sequence, bytes
        sequence = 0
        for tag, values in self.updates.values():
            if not values:
                continue
            written = tokenizer.attributes(self.data, tag)
            first: dict[str, tokenizer.Attribute] = {}
            for attr in written:
                first.setdefault(attr.name, attr)
            added: list[bytes] = []
            for name, value in values.items():
                quoted = b'"' + self._encode(escape(value, quote=True)) + b'"'
                existing = first.get(name)
                if existing is None:
                    added.append(b" " + name.encode("ascii") + b"=" + quoted)
                elif existing.value_start is None:
                    edits.append((existing.end, existing.end, 1, sequence, b"=" + quoted))
                else:
                    edits.append((existing.value_start, existing.end, 1, sequence, quoted))
                sequence += 1
            if added:
                at = tokenizer.insertion_point(self.data, tag, written)
                edits.append((at, at, 1, sequence, b"".join(added)))
                sequence += 1
        edits.extend((offset, offset, rank, sequence + seq, blob) for offset, rank, seq, blob in self.inserts)
        edits.sort(key=lambda e: (e[0], e[2], e[3]))
        out, position = [], 0
        for start, end, _rank, _seq, blob in edits:
            if start < position:  # overlapping edits cannot happen by construction; never emit a torn page
                raise AssertionError(f"overlapping edits at byte {start}")
            out.append(self.data[position:start])
            out.append(blob)
            position = end
        out.append(self.data[position:])
        return b"".join(out), tuple((start, end - start, blob) for start, end, _rank, _seq, blob in edits)
