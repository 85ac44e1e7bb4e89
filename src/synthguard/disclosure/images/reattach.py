"""Re-attaching Content Credentials to a transformed copy: a CDN resized or re-encoded a labelled image
and lost its manifest; the watermark recovers the stored one, and this signs a new manifest onto the
copy with the recovered manifest as its parent ingredient.

The new manifest says ``c2pa.opened`` (the parent, keeping the AI digital source type), ``c2pa.resized``
when the pixel size differs from the size the parent signed, and ``c2pa.transcoded``; it keeps the
soft binding (the pixels still carry the watermark) and our assertion; the XMP digital source type is
written again. The parent ingredient carries the recovered manifest store and its validation results,
hard-binding mismatch included, so anyone can see what was re-attached and why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...atomicfile import write_atomic
from ...errors import InputError, VerificationError
from . import c2pa, raster, xmp
from .interface import (
    EMBEDDED_VALID,
    RECOVERED,
    TRAINED_ALGORITHMIC_MEDIA,
    C2paReport,
    Provenance,
    ReattachResult,
)
from .recovery import explain
from .verify import VerifyOptions, inspect

_PARENT = "parent"
_PARENT_STORE = "parent.c2pa"


@dataclass(frozen=True)
class ReattachOptions:
    credentials: c2pa.Credentials
    verify: VerifyOptions = field(default_factory=VerifyOptions)
    quality: int = 95  # JPEG output quality


def reattach_image(source: Path, out: Path, options: ReattachOptions) -> ReattachResult:
    """Write ``source`` to ``out`` (.jpg / .png) with a new signed manifest whose parent is the recovered one."""
    fmt = raster.output_format(out)
    found = inspect(source, options.verify)
    report = found.report
    if report.credentials == EMBEDDED_VALID:
        raise InputError("already carries valid Content Credentials; nothing to re-attach", path=str(source))
    if report.credentials != RECOVERED or found.recovered is None:
        why = explain(report.recovery, report.watermark.watermark_id)
        raise VerificationError(f"no manifest recovered: {why}", path=str(source))
    recovered = found.recovered
    parent = recovered.report.manifest
    mine = parent.synthguard or {}
    source_type = next((t for t in parent.digital_source_types if t), TRAINED_ALGORITHMIC_MEDIA)
    provenance = Provenance(dataset=mine.get("dataset"), dataset_digest=mine.get("dataset_digest"),
                            generator=mine.get("generator"), watermark_id=recovered.report.watermark_id,
                            source_type=source_type)
    image = found.image
    data = raster.encode(image, fmt, xmp=xmp.packet(provenance, image.xmp), quality=options.quality)
    actions = _actions(source_type, mine, (image.width, image.height))
    definition = _definition(out.name, provenance, actions, parent, recovered.results, report.format,
                             (image.width, image.height))
    signed, _store = c2pa.sign_definition(definition, data, raster.MIME[fmt], options.credentials,
                                          resources={_PARENT_STORE: recovered.store})
    write_atomic(out, signed)
    return ReattachResult(out=str(out), format=fmt, sha256=hashlib.sha256(signed).hexdigest(),
                          watermark_id=recovered.report.watermark_id, parent_location=recovered.report.location,
                          parent_signer=parent.signer, actions=tuple(a["action"] for a in actions),
                          c2pa_signer=options.credentials.subject)


def _actions(source_type: str, signed: dict[str, Any], size: tuple[int, int]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = [{"action": "c2pa.opened", "digitalSourceType": source_type,
                                      "parameters": {"ingredientIds": [_PARENT]}}]
    if "width" in signed and "height" in signed and (signed["width"], signed["height"]) != size:
        actions.append({"action": "c2pa.resized"})
    # The copy's bytes differ from the signed ones in any case (that is why the hard binding failed).
    actions.append({"action": "c2pa.transcoded"})
    return actions


def _definition(title: str, provenance: Provenance, actions: list[dict[str, Any]], parent: C2paReport,
                results: dict[str, Any], source_format: str, size: tuple[int, int]) -> dict[str, Any]:
    assert provenance.watermark_id is not None
    ingredient = {"title": parent.title or "recovered manifest", "format": raster.MIME.get(source_format, "image/jpeg"),
                  "relationship": "parentOf", "label": _PARENT, "validation_results": results,
                  "manifest_data": {"format": "application/c2pa", "identifier": _PARENT_STORE}}
    return {"claim_generator_info": [c2pa.claim_generator()], "title": title, "ingredients": [ingredient],
            "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}},
                           c2pa.soft_binding(provenance.watermark_id), c2pa.ours(provenance, size)]}
