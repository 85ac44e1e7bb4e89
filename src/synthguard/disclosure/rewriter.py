"""The rewriter: add the missing disclosure to a page by inserting bytes at exact offsets.

``rewrite_html(data, declarations)`` returns the page with, for each gap the scanner finds:
``data-synthetic`` / generator / source attributes on the item, a visible label element with an id
(``<span class="sg-ai-label" data-synthetic-label>``; a list gets an ``<li>``, a table a ``<caption>``),
``aria-describedby`` pointing at it, alt text that no longer claims to be a photograph, and
``<meta name="ai-generated-content" content="partial">`` in the head. Nothing else changes: the page is
never re-serialised, so every byte outside the edits is the original byte (entities, attribute quoting,
whitespace, comments, broken markup and all). No script and no style attribute is added (CSP-safe); the
label is styled, if at all, by the site's CSS or the optional stylesheet link.

How offsets are found: ``tokenizer.start_tags`` lists every start tag in the source; a copy of the page
with a position attribute after each tag name is parsed by lexbor, so each element in the tree carries
the index of the start tag it came from. Elements without one (implied by the parser, or tags the two
tokenizers disagree on) are not edited and are named in the notes. Rewriting fixes exactly the gaps the
scanner reports and the scanner accepts what the rewriter writes, so a second rewrite changes nothing.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from selectolax.lexbor import LexborNode

from . import tokenizer
from . import vocabulary as v
from .declarations import Declaration, DeclarationSet, as_set
from .encoding import Encoding, sniff
from .scanner import Document, Finding, ScanOptions, analyse

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
    tags = tokenizer.start_tags(data)
    mark = _position_attribute(data)
    document = Document(data, url, content_type, tree_data=_annotate(data, tags, mark), encoding=encoding)
    analysis = analyse(document, rules, file=file, root=root, options=ScanOptions(lines=False, image_metadata=local))
    plan = _Plan(data, tags, mark, encoding, url)
    for finding in analysis.findings:
        plan.fix(finding)
    if analysis.page_gap is not None:
        plan.page_marker(document, options.stylesheet)
    elif plan.labels and options.stylesheet:
        plan.page_marker(document, options.stylesheet, meta=False)
    out, edits = plan.apply()
    remaining = None
    if options.verify and plan.fixed:
        check = analyse(Document(out, url, content_type), rules, file=file, root=root,
                        options=ScanOptions(lines=False, image_metadata=local))
        remaining = sum(len(f.gaps) for f in check.findings) + (check.page_gap is not None)
    return RewriteResult(out, len(analysis.findings), dict(plan.fixed), tuple(analysis.notes + plan.notes),
                         remaining, edits)


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

    def __init__(self, data: bytes, tags: list[tokenizer.StartTag], mark: str, encoding: Encoding,
                 url: str) -> None:
        self.data, self.tags, self.mark, self.encoding, self.url = data, tags, mark, encoding, url
        self.updates: dict[int, dict[str, str]] = {}
        self.inserts: list[tuple[int, int, int, bytes]] = []  # offset, rank, sequence, bytes
        self.notes: list[str] = []
        self.fixed: dict[str, int] = {}
        self.labels = 0
        self._ids: set[str] = set()

    def index_of(self, node: LexborNode | None) -> int | None:
        raw = node.attributes.get(self.mark) if node is not None else None
        return int(raw) if raw is not None and raw.isdigit() and int(raw) < len(self.tags) else None

    def _done(self, check: str) -> None:
        self.fixed[check] = self.fixed.get(check, 0) + 1

    def fix(self, finding: Finding) -> None:
        node, gaps = finding.node, finding.gaps
        index = self.index_of(node)
        if index is None:
            if gaps:
                self.notes.append(f"<{node.tag}> ({', '.join(gaps)}) is not in the source as a start tag "
                                  "(implied by the parser or malformed); left as is")
            return
        tag = self.tags[index]
        attrs = self.updates.setdefault(index, {})
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
            img_index = self.index_of(img)
            if img_index is None:
                self.notes.append("an <img> with photographic alt text is not in the source as a start tag; left as is")
                continue
            self.updates.setdefault(img_index, {})["alt"] = v.ALT_PREFIX + (img.attributes.get("alt") or "")
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
            index = self.index_of(label)
            if index is not None:
                ident = self._new_id(self.tags[index])
                self.updates.setdefault(index, {})["id"] = ident
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
                    index = self.index_of(meta)
                    if index is not None:
                        return self.tags[index].end
            index = self.index_of(head)
            if index is not None:
                return self.tags[index].end
        index = self.index_of(tree.css_first("html"))
        if index is not None:
            return self.tags[index].end
        doctype = _DOCTYPE.match(self.data, self.encoding.bom)
        return doctype.end() if doctype else self.encoding.bom

    def _encode(self, text: str) -> bytes:
        return text.encode(self.encoding.name, "xmlcharrefreplace")

    def apply(self) -> tuple[bytes, tuple[tuple[int, int, bytes], ...]]:
        edits: list[tuple[int, int, int, int, bytes]] = []  # start, end, rank, sequence, bytes
        sequence = 0
        for index, values in self.updates.items():
            if not values:
                continue
            tag = self.tags[index]
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
