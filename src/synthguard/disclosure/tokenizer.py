"""Where the start tags are in the original bytes: a small HTML tokenizer that follows the WHATWG
tokenizer states that matter for finding tags (comments, bogus comments, raw-text and RCDATA elements,
quoted and unquoted attribute values, EOF inside a tag).

Hand-written because the parsers we use (lexbor via selectolax, html5lib, lxml) build a tree but do
not report where each element's start tag is in the source. The rewriter needs exact byte offsets to
edit a page without re-serialising it; the tokenizer gives them, and lexbor re-parses the page with a
position attribute on every tag this tokenizer found, so an element the two disagree about is simply
left alone (never mis-edited).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterator, Sequence
from typing import NamedTuple

_NAME = rb"[^\t\n\f\r />][^\t\n\f\r /=>]*+"
_VALUE = rb"(?:\"[^\"]*+\"|'[^']*+'|(?![\"'])[^\t\n\f\r >]*+)"
# One attribute: a name, then either a complete value or no '=' at all. An unterminated quoted value
# makes the whole tag fail to match, which is what the spec does (EOF in tag: nothing is emitted).
_ATTRIBUTE = _NAME + rb"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+" + _VALUE + rb"|(?![\t\n\f\r ]*+=))"
_ATTRIBUTES = rb"(?:[\t\n\f\r /]++|" + _ATTRIBUTE + rb")*+"
_ONE_ATTRIBUTE = re.compile(rb"[\t\n\f\r /]*+(" + _NAME + rb")(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(" + _VALUE + rb"))?")
_END = rb"(?=[\t\n\f\r />])"
# Elements whose content is text up to their end tag (lexbor parses with scripting off, so <noscript>
# content is markup, as here). The alternatives are tried in this order at each '<'; they share the
# leading '<' so that the engine jumps from one '<' to the next in C instead of trying each alternative at
# every byte of text (the regular expression runs 1.5x faster on 200 KB pages).
_RAW_TEXT = rb"script|style|xmp|iframe|noembed|noframes|textarea|title"
_TOKEN = re.compile(
    rb"<(?:!--(?:>|->|.*?--!?>|.*)"  # comment (an unterminated one runs to the end)
    rb"|[!?][^>]*+>?"  # doctype, CDATA outside foreign content, bogus comment
    rb"|(?P<endtemplate>/template" + _END + _ATTRIBUTES + rb">)"
    rb"|/[A-Za-z][^\t\n\f\r />]*+" + _ATTRIBUTES + rb">"  # other end tags
    rb"|/>|/(?![A-Za-z])[^>]*+>?"  # dropped, bogus comment
    rb"|(?P<raw>(?P<rawname>" + _RAW_TEXT + rb")" + _END + _ATTRIBUTES + rb">)"
    rb"(?P<rawbody>.*?)(?=</(?P=rawname)[\t\n\f\r />]|\Z)"  # raw text, to its end tag or the end
    rb"|plaintext" + _END + rb"(?P<plain>" + _ATTRIBUTES + rb">).*"
    rb"|(?P<start>(?P<name>[A-Za-z][^\t\n\f\r />]*+)" + _ATTRIBUTES + rb">)"
    rb"|(?P<eof>/?[A-Za-z]))",  # a tag that never ends (EOF inside it)
    re.DOTALL | re.IGNORECASE)


class StartTag(NamedTuple):
    start: int  # offset of '<'
    name_end: int  # offset just after the tag name
    end: int  # offset just after '>'
    name: str  # lower-case


class Attribute(NamedTuple):
    name: str  # lower-case
    start: int  # offset of the name
    end: int  # offset after the value (or the name when there is none)
    value_start: int | None  # offset of the value, quotes included
    value: bytes | None  # the raw value, without quotes, entities not decoded


def start_tags(data: bytes, names: Collection[str] | None = None) -> list[StartTag]:
    """Every start tag the WHATWG tokenizer would emit, in order (end tags, comments, doctype and the
    content of raw-text elements skipped), or only those with one of ``names``. Tags inside
    ``<template>`` are left out: their elements live in the template's content fragment, which selectors
    never reach, so they are never items."""
    return list(iter_start_tags(data, names))


def iter_start_tags(data: bytes, names: Collection[str] | None = None) -> Iterator[StartTag]:
    """``start_tags`` lazily, for callers that can stop early. One regular expression walks the markup in
    C; Python only looks at start tags (end tags, comments and raw text never reach the loop's body)."""
    templates = 0
    lowered: dict[bytes, str] = {}  # tag names repeat: fold each spelling once
    for match in _TOKEN.finditer(data):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "start":
            raw = match.group("name")
            name = lowered.get(raw)
            if name is None:
                name = lowered[raw] = raw.lower().decode("utf-8", "replace")  # bytes.lower() folds ASCII only
            if not templates and (names is None or name in names):
                yield StartTag(match.start(), match.end("name"), match.end(), name)
            if name == "template":
                templates += 1
        elif kind == "rawbody":
            name = match.group("rawname").lower().decode("ascii")
            if not templates and (names is None or name in names):
                yield StartTag(match.start(), match.end("rawname"), match.end("raw"), name)
        elif kind == "endtemplate":
            templates = max(0, templates - 1)
        elif kind == "plain":
            if not templates and (names is None or "plaintext" in names):
                yield StartTag(match.start(), match.start() + len(b"<plaintext"), match.end("plain"), "plaintext")
            return
        else:  # "eof": an unterminated tag runs to the end of the document
            return


def start_tag_at(data: bytes, pos: int) -> StartTag | None:
    """The start tag the tokenizer reads at ``pos``, when ``pos`` is where a token begins (the caller knows
    it is; template nesting is not tracked here)."""
    match = _TOKEN.match(data, pos)
    if match is None or match.lastgroup not in ("start", "rawbody"):
        return None
    if match.lastgroup == "rawbody":
        return StartTag(pos, match.end("rawname"), match.end("raw"), match.group("rawname").lower().decode("ascii"))
    return StartTag(pos, match.end("name"), match.end(), match.group("name").lower().decode("utf-8", "replace"))


def attributes(data: bytes, tag: StartTag) -> list[Attribute]:
    """The attributes of one start tag, with their byte spans (duplicates kept, as written)."""
    found: list[Attribute] = []
    pos, stop = tag.name_end, tag.end - 1
    while pos < stop:
        match = _ONE_ATTRIBUTE.match(data, pos, stop)
        if match is None:
            break
        if match.start(1) < 0 or match.end() == pos:
            break
        raw = match.group(2)
        value = None if raw is None else (raw[1:-1] if raw[:1] in (b'"', b"'") else raw)
        found.append(Attribute(match.group(1).lower().decode("utf-8", "replace"), match.start(1), match.end(),
                               match.start(2) if raw is not None else None, value))
        pos = match.end()
    return found


def insertion_point(data: bytes, tag: StartTag, attrs: Sequence[Attribute]) -> int:
    """Where new attributes go: before ``/>`` of a self-closing tag, else before ``>``. A '/' that
    ends an unquoted value belongs to the value (``<img src=a/>``), so then it is before ``>``."""
    gt = tag.end - 1
    if data[gt - 1:gt] == b"/" and not (attrs and attrs[-1].end == gt and attrs[-1].value_start is not None
                                        and data[attrs[-1].value_start] not in b"\"'"):
        return gt - 1
    return gt


class Lines:
    """Offset → 1-based line number, for many lookups on one document."""

    def __init__(self, data: bytes) -> None:
        self._newlines = [m.start() for m in re.finditer(b"\n", data)]

    def line(self, offset: int) -> int:
        return bisect_right(self._newlines, offset - 1) + 1
