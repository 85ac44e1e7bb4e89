"""Image labelling for disclosure: mark AI-generated images three ways and check the marks.

    from synthguard.disclosure.images import LabelOptions, Provenance, label_image, verify_image
    label_image(Path("gan.png"), Path("gan-labelled.jpg"),
                LabelOptions(Provenance(dataset="catalog-images@3", generator="stylegan3")))
    report = verify_image(Path("from-the-cdn.jpg"))     # .xmp, .c2pa, .watermark, .ai_marked

``catalogue`` does the same inside a workspace (provenance from the catalogue, audit events).
"""

from __future__ import annotations

from .c2pa import Credentials
from .interface import (
    TRAINED_ALGORITHMIC_MEDIA,
    C2paReport,
    ImageReport,
    LabelResult,
    Provenance,
    WatermarkReport,
    XmpReport,
    is_ai_source_type,
)
from .label import LabelOptions, label_image
from .verify import VerifyOptions, load_trust_anchors, verify_image
from .watermark import WatermarkOptions

__all__ = [
    "TRAINED_ALGORITHMIC_MEDIA",
    "C2paReport",
    "Credentials",
    "ImageReport",
    "LabelOptions",
    "LabelResult",
    "Provenance",
    "VerifyOptions",
    "WatermarkOptions",
    "WatermarkReport",
    "XmpReport",
    "is_ai_source_type",
    "label_image",
    "load_trust_anchors",
    "verify_image",
]
