"""Verify files against the catalogue: recompute the digest, find the version, check its signature."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SynthGuardError
from . import attestation, digest
from .attestation import Verification
from .records import find_by_digest, find_version, version_of

if TYPE_CHECKING:
    from ..workspace import Workspace


def verify_paths(ws: Workspace, paths: list[Path], ref: str | None = None, *,
                 progress: digest.ProgressCallback | None = None) -> Verification:
    """Never raises on a mismatch (returns ``ok=False``); bad input still raises InputError."""
    try:
        result = _verify(ws, paths, ref, progress)
    except SynthGuardError as exc:
        ws.record("dataset.verify", ref or str(paths[0]), outcome="failure",
                  details={"error": exc.diagnostics()})
        raise
    ws.record("dataset.verify", result.ref or str(paths[0]),
              outcome="success" if result.ok else "failure", digest=result.digest or "",
              details={"reason": result.reason})
    return result


def _verify(ws: Workspace, paths: list[Path], ref: str | None,
            progress: digest.ProgressCallback | None) -> Verification:
    tenant = ws.settings.tenant
    actual = None
    with ws.session() as session:
        if ref is not None:
            version = version_of(find_version(session, tenant, ref))
        else:
            actual = digest.digest_paths(paths, whole_file=False, progress=progress)
            matches = find_by_digest(session, tenant, actual.root)
            if not matches:
                return Verification(False, "content unknown: no registered version has digest "
                                    f"{actual.root}", digest=actual.root)
            version = version_of(matches[0])
    try:
        attestation.signed_statement(version.envelope, ws.keyring, version.files, version.digest)
    except SynthGuardError as exc:
        return Verification(False, f"attestation of {version.ref}: {exc.message}", version.ref,
                            version.digest)
    difference = attestation.content_difference(paths, version.files, version.digest, actual=actual,
                                                progress=progress)
    if difference is not None:
        return Verification(False, f"content differs from {version.ref}: {difference}", version.ref,
                            version.digest)
    return Verification(True, f"{len(version.files)} file(s) match {version.ref}, signed by "
                        f"{attestation.signer_of(version.envelope)}", version.ref, version.digest,
                        len(version.files), attestation.signer_of(version.envelope))
