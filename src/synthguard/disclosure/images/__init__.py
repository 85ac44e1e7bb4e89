"""Image labelling for disclosure: mark AI-generated images three ways and check the marks.

    from synthguard.disclosure.images import LabelOptions, Provenance, label_image, verify_image
    label_image(Path("gan.png"), Path("gan-labelled.jpg"),
                LabelOptions(Provenance(dataset="catalog-images@3", generator="stylegan3")))
    report = verify_image(Path("from-the-cdn.jpg"))     # .xmp, .c2pa, .watermark, .credentials, .ai_marked
    reattach_image(Path("from-the-cdn.jpg"), Path("out.jpg"), ReattachOptions(credentials))  # recovered → embedded

``catalogue`` does the same inside a workspace (provenance from the catalogue, audit events).
"""

from __future__ import annotations

from .c2pa import Credentials
from .interface import (
    ABSENT,
    EMBEDDED_VALID,
    INVALID,
    RECOVERED,
    TRAINED_ALGORITHMIC_MEDIA,
    C2paReport,
    ImageReport,
    LabelResult,
    Provenance,
    ReattachResult,
    RecoveryReport,
    WatermarkReport,
    XmpReport,
    is_ai_source_type,
)
from .label import LabelOptions, label_image
from .reattach import ReattachOptions, reattach_image
from .recovery import RecoverySources
from .repository import ManifestRepository
from .verify import VerifyOptions, load_trust_anchors, verify_image
from .watermark import WatermarkOptions

__all__ = [
    "ABSENT",
    "EMBEDDED_VALID",
    "INVALID",
    "RECOVERED",
    "TRAINED_ALGORITHMIC_MEDIA",
    "C2paReport",
    "Credentials",
    "ImageReport",
    "LabelOptions",
    "LabelResult",
    "ManifestRepository",
    "Provenance",
    "ReattachOptions",
    "ReattachResult",
    "RecoveryReport",
    "RecoverySources",
    "VerifyOptions",
    "WatermarkOptions",
    "WatermarkReport",
    "XmpReport",
    "is_ai_source_type",
    "label_image",
    "load_trust_anchors",
    "reattach_image",
    "verify_image",
]
