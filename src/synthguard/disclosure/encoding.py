"""Which character encoding an HTML page is in: BOM, then the HTTP charset, then ``<meta charset>`` in
the first 1024 bytes, then UTF-8 if the bytes are valid UTF-8, else windows-1252 (the WHATWG fallback).

Hand-written and small on purpose: the scanner only needs to know whether lexbor can take the bytes
as they are (UTF-8) and whether byte offsets in the original stay meaningful for the rewriter
(ASCII-compatible encodings); a full detector such as charset-normalizer would cost more than the parse.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(
    rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.+-]{1,40})", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.+-]{1,40})", re.IGNORECASE)
# WHATWG maps these labels to windows-1252; Python would decode them slightly differently.
_ALIASES = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "latin-1": "windows-1252",
            "us-ascii": "windows-1252", "ascii": "windows-1252", "iso8859-1": "windows-1252",
            "x-user-defined": "windows-1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class Encoding:
    name: str  # a Python codec name
    bom: int  # bytes of byte-order mark at the start
    declared: bool  # named by a BOM, the HTTP header or a meta tag (not guessed)

    @property
    def is_utf8(self) -> bool:
        return self.name == "utf-8"

    @property
    def ascii_compatible(self) -> bool:
        """Markup bytes (``<``, ``>``, quotes, ASCII letters) mean the same in the original bytes."""
        try:
            return "<a b='c\"d'>/=".encode(self.name) == b"<a b='c\"d'>/=" and self.bom in (0, 3)
        except (LookupError, UnicodeError):
            return False


def _canonical(label: str) -> str | None:
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "utf-8" if name in ("utf-8", "utf-8-sig") else name


def sniff(data: bytes, content_type: str | None = None) -> Encoding:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Encoding(name, len(bom), True)
    header = _HEADER_CHARSET.search(content_type) if content_type else None
    named = _canonical(header.group(1)) if header else None
    if named:
        return Encoding(named, 0, True)
    meta = _META_CHARSET.search(data, 0, 1024)
    named = _canonical(meta.group(1).decode("ascii")) if meta else None
    if named:
        # A page cannot really declare UTF-16 in a meta tag it was able to write in ASCII (WHATWG).
        return Encoding("utf-8" if named.startswith("utf-16") else named, 0, True)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return Encoding("cp1252", 0, False)  # windows-1252, the WHATWG fallback
    return Encoding("utf-8", 0, False)


def decode(data: bytes, encoding: Encoding) -> str:
    """The text lexbor parses; undecodable bytes become U+FFFD as in a browser."""
    return data[encoding.bom:].decode(encoding.name, errors="replace")
