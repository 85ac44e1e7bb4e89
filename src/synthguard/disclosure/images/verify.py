"""Checking one image: which of the three marks (XMP, C2PA, watermark) say it is AI-generated, whether
the C2PA manifest is intact and, given trust anchors, chains to one of them, and, for a copy that lost
its manifest, whether the watermark recovers a stored one (``recovery``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from ...errors import InputError
from . import c2pa, raster, watermark, xmp
from .interface import ABSENT, EMBEDDED_VALID, INVALID, RECOVERED, C2paReport, ImageReport, WatermarkReport
from .recovery import Recovered, RecoverySources, recover


@dataclass(frozen=True)
class VerifyOptions:
    """``trust_anchors``: PEM root certificates; with them a C2PA signer must chain to one ("Trusted").
    ``require_credentials``: only a valid embedded or recovered manifest saying AI-generated passes."""

    trust_anchors: bytes | None = None
    watermark_options: watermark.WatermarkOptions = field(default_factory=watermark.WatermarkOptions)
    max_pixels: int = raster.DEFAULT_MAX_PIXELS
    recovery: RecoverySources = field(default_factory=RecoverySources)
    require_credentials: bool = False


@dataclass(frozen=True)
class Inspection:
    """A verification with what produced it (re-attachment builds on the recovered manifest store)."""

    report: ImageReport
    image: raster.Raster
    recovered: Recovered | None


def load_trust_anchors(path: Path) -> bytes:
    """The PEM bytes of a trust-anchor file, refused early when it holds no certificate."""
    pem = raster.read_file(path)
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InputError("not a PEM certificate file", path=str(path), field="trust-anchor") from exc
    return pem


def verify_image(path: Path, options: VerifyOptions | None = None) -> ImageReport:
    return inspect(path, options).report


def inspect(path: Path, options: VerifyOptions | None = None) -> Inspection:
    options = options or VerifyOptions()
    data = raster.read_file(path)
    image = raster.decode(data, str(path), options.max_pixels)
    mime = raster.MIME.get(image.format, f"image/{image.format.lower()}")
    embedded = c2pa.read(data, mime, options.trust_anchors)
    mark = watermark.detect(image.pixels, options.watermark_options)
    credentials, recovered = _credentials(path, data, mime, embedded, mark, options)
    report = ImageReport(path=str(path), format=image.format, width=image.width, height=image.height,
                         xmp=xmp.read(image.xmp), c2pa=embedded, watermark=mark,
                         trust_required=options.trust_anchors is not None, credentials=credentials,
                         recovery=recovered.report if recovered else None,
                         credentials_required=options.require_credentials)
    return Inspection(report=report, image=image, recovered=recovered)


def _credentials(path: Path, data: bytes, mime: str, embedded: C2paReport, mark: WatermarkReport,
                 options: VerifyOptions) -> tuple[str, Recovered | None]:
    trust_required = options.trust_anchors is not None
    if embedded.valid and (embedded.trusted or not trust_required):
        return EMBEDDED_VALID, None
    found = None
    if mark.watermark_id is not None:
        # No embedded manifest that verifies: C2PA manifest recovery through the soft binding.
        found = recover(path, data, mime, mark.watermark_id, options.recovery, options.trust_anchors)
        if found is not None and found.report.recovered:
            return RECOVERED, found
    return (INVALID if embedded.present or found is not None else ABSENT), found
