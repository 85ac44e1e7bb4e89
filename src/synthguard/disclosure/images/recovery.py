"""Manifest recovery through the watermark (C2PA soft binding): find the manifest store for a copy that
lost its embedded manifest, and decide whether it speaks for this image.

The decoded watermark id locates a stored manifest (``--manifest`` file, ``IMAGE.c2pa`` sidecar, or the
workspace's manifest repository); c2pa-rs validates it against the image. It counts as recovered only
when the claim signature validates (and the signer chains to a required trust anchor), its
``c2pa.soft-binding`` assertion names the very id decoded from the pixels, and, for a workspace
repository entry, its SHA-256 is the one the audit log recorded when it was stored (C2PA does not sign
padding bytes; the audit log catches any flipped byte). The hard binding (``c2pa.hash.data``) is
expected to fail: the pixels were re-encoded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import c2pa
from .interface import RecoveryReport
from .repository import ManifestRepository, sidecar_for

DATA_HASH_MISMATCH = "assertion.dataHash.mismatch"


@dataclass(frozen=True)
class RecoverySources:
    """Where to look, in this order: an explicit manifest store, the image's sidecar, a repository.

    ``audited_digest`` maps a watermark id to the ``sha256:`` digest the repository entry must have
    (from the audit log); None when there is no workspace to ask."""

    manifest: bytes | None = None
    manifest_name: str = "--manifest"
    sidecar: bool = True
    repository: Path | None = None
    audited_digest: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class Recovered:
    report: RecoveryReport
    store: bytes
    results: dict[str, Any]  # c2pa-rs validation results (an ingredient made from this manifest keeps them)


def _locate(image: Path, watermark_id: str, sources: RecoverySources) -> tuple[str, str, bytes] | None:
    if sources.manifest is not None:
        return "file", sources.manifest_name, sources.manifest
    sidecar = sidecar_for(image)
    if sources.sidecar and sidecar != image and sidecar.is_file():
        return "sidecar", str(sidecar), sidecar.read_bytes()
    if sources.repository is not None:
        repository = ManifestRepository(sources.repository)
        store = repository.get(watermark_id)
        if store is not None:
            return "repository", str(repository.path_for(watermark_id)), store
    return None


def recover(image: Path, data: bytes, mime: str, watermark_id: str, sources: RecoverySources,
            trust_anchors: bytes | None) -> Recovered | None:
    """The stored manifest for ``watermark_id`` checked against ``data``; None when none is stored."""
    found = _locate(image, watermark_id, sources)
    if found is None:
        return None
    source, location, store = found
    manifest, results = c2pa.read_with_results(data, mime, trust_anchors, store)
    digest = "sha256:" + hashlib.sha256(store).hexdigest()
    audit = None
    if source == "repository" and sources.audited_digest is not None:
        expected = sources.audited_digest(watermark_id)
        audit = "unaudited" if expected is None else "audited" if expected == digest else "mismatch"
    if watermark_id in manifest.soft_bindings:
        soft = "matched"
    else:
        soft = "mismatched" if manifest.soft_bindings else "missing"
    report = RecoveryReport(source=source, location=location, watermark_id=watermark_id, manifest=manifest,
                            soft_binding=soft,
                            hard_binding="mismatch" if DATA_HASH_MISMATCH in manifest.failures else "match",
                            sha256=digest, audit=audit)
    recovered = (manifest.present and manifest.signature_valid and soft == "matched"
                 and audit in (None, "audited") and (trust_anchors is None or manifest.signer_trusted))
    return Recovered(report=replace(report, recovered=recovered), store=store, results=results)


def explain(report: RecoveryReport | None, watermark_id: str | None) -> str:
    """Why no manifest was recovered, in one line."""
    if watermark_id is None:
        return "no watermark found, so no stored manifest can be looked up"
    if report is None:
        return f"no stored manifest for watermark id {watermark_id} (no --manifest, sidecar or repository entry)"
    m = report.manifest
    if not m.present:
        return f"{report.location} holds no C2PA manifest store"
    if report.audit == "mismatch":
        return f"{report.location} differs from the manifest recorded in the audit log"
    if report.audit == "unaudited":
        return f"{report.location} was not stored by this workspace (no audit record)"
    if not m.signature_valid:
        problems = [f for f in m.failures if f != DATA_HASH_MISMATCH] or [m.error or "claim signature not validated"]
        return f"the stored manifest does not verify: {', '.join(problems)}"
    if report.soft_binding != "matched":
        named = ", ".join(m.soft_bindings) or "no watermark id"
        return f"the stored manifest's soft binding names {named}, not the decoded {watermark_id}"
    if not report.recovered:
        return "the stored manifest's signer does not chain to the trust anchor"
    return "recovered"
