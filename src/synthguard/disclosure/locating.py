"""Where an element of the parsed tree is: a CSS path that finds it again (``locator``), and the start tag
it came from in the original bytes, either best-effort for line numbers (``locate``) or only where that is
certain, for the rewriter's fast path (``locate_exact``).

lexbor does not report source positions, so an element is matched to the start tag of the same name at
the same position among tags of that name (the tokenizer lists them, stopping after the last one needed).
``locate_exact`` accepts that match only where the HTML tree-construction rules cannot make the two
orders differ; anywhere else it says nothing and the rewriter falls back to its annotated parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborNode

from . import tokenizer

if TYPE_CHECKING:
    from .scanner import Document

# Markup under which the tree can differ from the source order or skip / clone start tags: foster
# parenting (tables), template contents, foreign content (its own raw-text rules), select parsing,
# framesets, <image> (becomes img) and <plaintext>. A page with any of them takes the annotated path.
_REORDERING = re.compile(rb"<(?:table|template|svg|math|select|frameset|image|plaintext)[\t\n\f\r />]")
# Names the parser can create without a start tag (implied, reconstructed or cloned formatting
# elements, `</p>` and `</br>`), drop (a second form), merge (html, body, head) or treat as raw text.
_UNORDERED = frozenset({
    "html", "head", "body", "form", "frame", "frameset", "caption", "col", "colgroup", "tbody", "td", "tfoot",
    "th", "thead", "tr", "table", "p", "br", "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small",
    "strike", "strong", "tt", "u", "select", "option", "optgroup", "selectedcontent", "template", "svg", "math",
    "image", "noscript", "script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title",
    "plaintext"})
# Of those, the ones a start tag always creates (never dropped): implied or cloned ones show as more
# elements than start tags.
_COUNTED = frozenset({"p", "br", "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
                      "tt", "u", "noscript", "script", "style", "xmp", "iframe", "noembed", "noframes", "textarea",
                      "title"})
_SIMPLE_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# What may come before the first start tag without making the parser imply <html> / <head>.
_PROLOGUE = re.compile(rb"(?:[\t\n\f\r ]++|<!--.*?-->|<!doctype[^>]*+>)*+", re.IGNORECASE | re.DOTALL)
_BETWEEN = re.compile(rb"(?:[\t\n\f\r ]++|<!--.*?-->)*+", re.DOTALL)
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


def orderly(document: Document) -> bool:
    """Whether the page's bytes are ASCII-compatible and have none of the markup under which the tree may
    reorder, skip or clone tags (a regular expression over the lower-cased bytes: twice as fast as a
    case-insensitive one)."""
    return document.encoding.ascii_compatible and _REORDERING.search(document.data.lower()) is None


def locate_exact(document: Document, nodes: Iterable[LexborNode], tags: Sequence[tokenizer.StartTag] | None = None,
                 *, checked: bool = False) -> dict[int, tokenizer.StartTag]:
    """The start tag of each element whose source position is certain (by mem_id); the others are left
    out. Certain means: the page has none of the reordering markup above; the element's name is one the
    parser only ever creates from its own start tag, in source order, so the k-th element of that name
    comes from the k-th start tag of that name, which is found by byte search when every ``<name`` in
    the bytes is a start tag (as many as the tree has elements), else by the tokenizer. ``<html>`` /
    ``<head>`` are certain when written as the page's first start tags. With every start tag of the page
    (``tags``), names the parser may also imply or clone (``p``, ``br``, formatting elements) are certain
    when the page has exactly as many start tags of that name as the tree has elements. ``checked``: the
    caller has already found the page ``orderly``."""
    nodes = list(nodes)
    data = document.data
    if not nodes or not (checked or orderly(document)):
        return {}
    wanted: dict[str, list[LexborNode]] = {}
    top: list[LexborNode] = []
    for node in nodes:
        name = node.tag or ""
        if name in ("html", "head"):
            top.append(node)
        elif (name not in _UNORDERED or (tags is not None and name in _COUNTED)) and _SIMPLE_NAME.fullmatch(name):
            wanted.setdefault(name, []).append(node)
    lowered = data.lower() if wanted and tags is None else b""
    ordinals: dict[int, int] = {}
    sources: dict[str, Sequence[tokenizer.StartTag | int]] = {}
    needed: dict[str, int] = {}  # names whose start tags the tokenizer must find, and how many
    for name, group in wanted.items():
        elements = document.tree.css(name)
        ordinals.update((element.mem_id, index) for index, element in enumerate(elements))
        if tags is not None:
            listed = [tag for tag in tags if tag.name == name]
            sources[name] = listed if len(listed) == len(elements) else []
            continue
        opening = re.compile(b"<" + name.encode("ascii") + rb"[\t\n\f\r />]")
        offsets = [match.start() for match in opening.finditer(lowered)]
        if len(offsets) == len(elements):
            sources[name] = offsets
        else:  # some "<name" is not a start tag: count the real ones, up to the last element wanted
            needed[name] = max(ordinals.get(node.mem_id, -1) for node in group) + 1
    if needed:
        sources.update(_first_start_tags(data, needed))
    found: dict[int, tokenizer.StartTag] = {}
    for name, group in wanted.items():
        candidates = sources.get(name, ())
        for node in group:
            index = ordinals.get(node.mem_id)
            if index is None or index >= len(candidates):
                continue
            at = candidates[index]
            source = tokenizer.start_tag_at(data, at) if isinstance(at, int) else at
            if source is not None and source.name == name and _same_attributes(document, source, node):
                found[node.mem_id] = source
    for node in top:
        leading = _leading(data, document.encoding.bom, node.tag or "")
        if leading is not None and _same_attributes(document, leading, node):
            found[node.mem_id] = leading
    return found


def _first_start_tags(data: bytes, needed: dict[str, int]) -> dict[str, list[tokenizer.StartTag]]:
    """The first ``needed[name]`` start tags of each name, reading no further than necessary."""
    found: dict[str, list[tokenizer.StartTag]] = {name: [] for name in needed}
    pending = sum(1 for count in needed.values() if count)
    for tag in tokenizer.iter_start_tags(data, needed) if pending else ():
        listed = found.get(tag.name)
        if listed is not None and len(listed) < needed[tag.name]:
            listed.append(tag)
            if len(listed) == needed[tag.name]:
                pending -= 1
                if not pending:
                    break
    return found


def _leading(data: bytes, bom: int, name: str) -> tokenizer.StartTag | None:
    """``<html>`` as the first start tag, ``<head>`` as the first or right after ``<html>``: only whitespace,
    comments and a doctype before them, so the parser made these elements from these tags."""
    prologue = _PROLOGUE.match(data, bom)
    first = tokenizer.start_tag_at(data, prologue.end()) if prologue is not None else None
    if first is None or first.name == name:
        return first
    between = _BETWEEN.match(data, first.end)
    second = tokenizer.start_tag_at(data, between.end()) if between is not None else None
    return second if name == "head" and first.name == "html" and second is not None and second.name == "head" \
        else None
