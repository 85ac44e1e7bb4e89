"""Reading what an image file says about its own origin: the IPTC digital source type in its XMP packet,
the actions of an embedded C2PA manifest and, optionally, our invisible watermark.

XMP: packets stored uncompressed (JPEG APP1, WebP / PNG iTXt without compression, TIFF, GIF), which is
where ExifTool, Photoshop and the IPTC reference tools put them; compressed PNG iTXt chunks are not read.
C2PA: a manifest embedded in the file (JPEG APP11, PNG caBX, …) whose actions carry an AI digital source
type, read with c2pa-python when the ``[images]`` extra is installed; its validation state is not
required, because the question here is "does the file say it is AI-generated", not "is the credential
intact" (``synthguard disclose image verify`` answers that). The watermark (``watermark=True``) decodes
pixels (≈ 65 ms for a 1600 × 1200 JPEG, against ≈ 0.5 ms for the other checks), so it is off by default.
Results are cached per file version.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from .vocabulary import AI_SOURCE_TYPES

READ_LIMIT = 4 << 20  # XMP sits in the first segments; do not read whole large files
C2PA_READ_LIMIT = 64 << 20  # a manifest may follow the pixels (PNG caBX); storefront images are far smaller
_SOURCE_TYPE = re.compile(
    rb"DigitalSourceType(?:\s*=\s*[\"']|>\s*|[^>]{0,200}?rdf:resource\s*=\s*[\"'])\s*([^<\"'\s]{1,300})")
# Every embedded manifest store is a JUMBF superbox labelled "c2pa": a cheap test before the real reader.
_C2PA_LABEL = b"jumdc2pa"


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
    return _term(value)


def _term(value: str) -> str:
    return re.split(r"[/#]", value.rstrip("/"))[-1]


def c2pa_source_types(path: Path) -> tuple[str, ...]:
    """The digital source type terms in the actions of the file's embedded C2PA manifest (empty without
    one, or without the ``[images]`` extra)."""
    try:
        stat = path.stat()
    except OSError:
        return ()
    return _c2pa(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2048)
def _c2pa(path: Path, _mtime_ns: int, size: int) -> tuple[str, ...]:
    if size > C2PA_READ_LIMIT:
        return ()
    try:
        with path.open("rb") as fh:
            # c2pa-rs writes the store near the start (JPEG APP11, PNG caBX after IHDR): the head decides
            # whether the whole file is worth reading.
            data = fh.read(READ_LIMIT)
            if _C2PA_LABEL not in data:
                return ()
            data += fh.read()
    except OSError:
        return ()
    try:
        import c2pa as c2pa_lib
    except ImportError:
        return ()
    try:
        reader = c2pa_lib.Reader.try_create(io.BytesIO(data))
        if reader is None:
            return ()
        with reader:
            active = reader.get_active_manifest() or {}
    except c2pa_lib.C2paError:
        return ()  # JUMBF that c2pa-rs cannot parse says nothing we can trust about the source
    terms = []
    for assertion in active.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions", []):
                if action.get("digitalSourceType"):
                    terms.append(_term(str(action["digitalSourceType"])))
    return tuple(terms)


def watermark_id(path: Path) -> str | None:
    """Our watermark's id in the pixels, or None (also without the ``[images]`` extra, or for a file that
    cannot be decoded)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _watermark(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2048)
def _watermark(path: Path, _mtime_ns: int, _size: int) -> str | None:
    try:
        from ..errors import InputError
        from .images import raster, watermark
    except ImportError:
        return None
    try:
        return watermark.detect(raster.load(path).pixels).watermark_id
    except InputError:
        return None  # not an image, damaged, too small or too large: no mark to read


def is_ai_generated(path: Path, *, watermark: bool = False) -> bool:
    """The file says it is AI-generated: XMP digital source type, or C2PA manifest actions, or (with
    ``watermark``) our invisible watermark."""
    term = digital_source_type(path)
    if term is not None and term.lower() in AI_SOURCE_TYPES:
        return True
    if any(t.lower() in AI_SOURCE_TYPES for t in c2pa_source_types(path)):
        return True
    return watermark and watermark_id(path) is not None
