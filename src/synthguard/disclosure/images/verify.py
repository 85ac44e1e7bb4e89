"""Checking one image: which of the three marks (XMP, C2PA, watermark) say it is AI-generated, and
whether the C2PA manifest is intact and, given trust anchors, chains to one of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from ...errors import InputError
from . import c2pa, raster, watermark, xmp
from .interface import ImageReport


@dataclass(frozen=True)
class VerifyOptions:
    """``trust_anchors``: PEM root certificates; with them a C2PA signer must chain to one ("Trusted")."""

    trust_anchors: bytes | None = None
    watermark_options: watermark.WatermarkOptions = field(default_factory=watermark.WatermarkOptions)
    max_pixels: int = raster.DEFAULT_MAX_PIXELS


def load_trust_anchors(path: Path) -> bytes:
    """The PEM bytes of a trust-anchor file, refused early when it holds no certificate."""
    pem = raster.read_file(path)
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InputError("not a PEM certificate file", path=str(path), field="trust-anchor") from exc
    return pem


def verify_image(path: Path, options: VerifyOptions | None = None) -> ImageReport:
    options = options or VerifyOptions()
    data = raster.read_file(path)
    image = raster.decode(data, str(path), options.max_pixels)
    mime = raster.MIME.get(image.format, f"image/{image.format.lower()}")
    return ImageReport(path=str(path), format=image.format, width=image.width, height=image.height,
                       xmp=xmp.read(image.xmp), c2pa=c2pa.read(data, mime, options.trust_anchors),
                       watermark=watermark.detect(image.pixels, options.watermark_options),
                       trust_required=options.trust_anchors is not None)
