"""Reading what an image file says about its own origin: the IPTC digital source type in its XMP packet.

This is the extension point for image metadata: it reads XMP packets stored uncompressed (JPEG APP1,
WebP / PNG iTXt without compression, TIFF, GIF), which is where ExifTool, Photoshop and the IPTC
reference tools put them. Compressed PNG iTXt chunks and C2PA manifests are not read here yet; the
image labelling work (``synthguard disclose image``) extends ``digital_source_type``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .vocabulary import AI_SOURCE_TYPES

READ_LIMIT = 4 << 20  # XMP sits in the first segments; do not read whole large files
_SOURCE_TYPE = re.compile(
    rb"DigitalSourceType(?:\s*=\s*[\"']|>\s*|[^>]{0,200}?rdf:resource\s*=\s*[\"'])\s*([^<\"'\s]{1,300})")


def digital_source_type(path: Path) -> str | None:
    """The IPTC digital source type term (e.g. ``trainedAlgorithmicMedia``), or None when the file has
    none or cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2048)
def _read(path: Path, _mtime_ns: int, _size: int) -> str | None:
    """Cached per file version (the unused arguments are part of the cache key)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(READ_LIMIT)
    except OSError:
        return None
    match = _SOURCE_TYPE.search(head)
    if match is None:
        return None
    value = match.group(1).decode("utf-8", "replace")
    return re.split(r"[/#]", value.rstrip("/"))[-1]


def is_ai_generated(path: Path) -> bool:
    term = digital_source_type(path)
    return term is not None and term.lower() in AI_SOURCE_TYPES
