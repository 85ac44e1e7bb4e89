"""Labelling one image: watermark the pixels, write the XMP digital source type, sign a C2PA manifest.

The order matters: pixels first (the watermark), then the encoded file with its XMP packet, then the
C2PA manifest, whose hash covers every byte written before it. The result goes to a temporary file
next to ``out`` and is renamed into place only when whole. The signed manifest store is also kept
apart, in a manifest repository by watermark id and / or as a sidecar ``OUT.c2pa``, so that a copy a
CDN re-encoded can get it back through its watermark (``recovery``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...atomicfile import write_atomic
from ...errors import InputError
from . import c2pa, raster, watermark, xmp
from .interface import LabelResult, Provenance
from .repository import ManifestRepository, sidecar_for
from .watermark import WatermarkOptions


@dataclass(frozen=True)
class LabelOptions:
    """``credentials`` None: no C2PA manifest (XMP and watermark only), said so in the result."""

    provenance: Provenance = field(default_factory=Provenance)
    credentials: c2pa.Credentials | None = None
    watermark: bool = True
    watermark_options: WatermarkOptions = field(default_factory=WatermarkOptions)
    quality: int = 95  # JPEG output quality; the watermark is made to survive much lower
    max_pixels: int = raster.DEFAULT_MAX_PIXELS
    repository: Path | None = None  # keep the signed manifest store here as <watermark id>.c2pa
    sidecar: bool = False  # and / or next to the output as OUT.c2pa


def label_image(source: Path, out: Path, options: LabelOptions | None = None) -> LabelResult:
    """Write a labelled copy of ``source`` to ``out`` (.jpg / .png)."""
    options = options or LabelOptions()
    fmt = raster.output_format(out)
    original = raster.read_file(source)
    image = raster.decode(original, str(source), options.max_pixels)
    provenance = options.provenance
    notes: list[str] = []
    pixels, quality_db = image.pixels, None
    if options.watermark:
        if provenance.watermark_id is None:
            provenance = replace(provenance, watermark_id=secrets.token_hex(8))
        assert provenance.watermark_id is not None
        pixels = watermark.embed(image.pixels, provenance.watermark_id, options.watermark_options)
        quality_db = round(watermark.psnr(image.pixels, pixels), 2)
    elif provenance.watermark_id is not None:
        provenance = replace(provenance, watermark_id=None)  # never claim a mark that is not there
    data = raster.encode(raster.with_pixels(image, pixels), fmt, xmp=xmp.packet(provenance, image.xmp),
                         quality=options.quality)
    if options.watermark:
        _check_readable(data, out, provenance, options)
    parent = _parent(original, image.format, options, notes)
    skipped = store = stored = sidecar = None
    if options.credentials is not None:
        data, store = c2pa.sign(data, raster.MIME[fmt], provenance, options.credentials, out.name, parent=parent,
                                size=(image.width, image.height))
    else:
        skipped = "no signing key and certificate chain given"
    if store is not None and options.sidecar:
        sidecar = sidecar_for(out)
        write_atomic(sidecar, store)
    if store is not None and options.repository is not None and provenance.watermark_id is not None:
        stored = ManifestRepository(options.repository).put(provenance.watermark_id, store)
    elif store is not None and options.repository is not None:
        notes.append("no watermark, so the manifest was not kept for recovery")
    write_atomic(out, data)
    return LabelResult(out=str(out), format=fmt, sha256=hashlib.sha256(data).hexdigest(), provenance=provenance,
                       xmp=True, c2pa_signed=options.credentials is not None,
                       c2pa_signer=options.credentials.subject if options.credentials else None,
                       c2pa_skipped_reason=skipped, watermarked=options.watermark, psnr_db=quality_db,
                       notes=tuple(notes), manifest_store=store,
                       manifest_sha256=hashlib.sha256(store).hexdigest() if store is not None else None,
                       manifest_stored=str(stored) if stored else None, sidecar=str(sidecar) if sidecar else None)


def _parent(original: bytes, fmt: str, options: LabelOptions, notes: list[str]) -> tuple[bytes, str] | None:
    """The input as parent ingredient when it has valid Content Credentials we can carry forward."""
    mime = raster.MIME.get(fmt)
    if mime is None:
        return None
    existing = c2pa.read(original, mime)
    if not existing.present:
        return None
    if options.credentials is None:
        notes.append("the input's C2PA manifest was not carried over: re-encoding breaks it and there is no "
                     "signing key to record it as the parent ingredient")
        return None
    if not existing.valid:
        notes.append("the input's C2PA manifest does not verify; it was not carried over")
        return None
    notes.append("the input's C2PA manifest is kept as the parent ingredient")
    return original, mime


def _check_readable(data: bytes, out: Path, provenance: Provenance, options: LabelOptions) -> None:
    """Refuse to write a file whose watermark does not read back (flat or tiny images can't carry one)."""
    decoded = raster.decode(data, str(out), options.max_pixels)
    report = watermark.detect(decoded.pixels, options.watermark_options)
    if report.watermark_id != provenance.watermark_id:
        raise InputError("the image cannot carry a readable watermark (too flat or too small); "
                         "use --no-watermark to label it with metadata only", path=str(out), field="watermark")
