"""Image labelling inside a workspace: provenance from the catalogue, signing credentials from the
home, an audit event for every label (and every failed attempt), and watermark ids looked up again.

A watermark id made from a dataset version is the first 64 bits of that version's digest, so any
copy of the image, even stripped of metadata, leads back to ``NAME@N``.

C2PA credentials: ``--key`` / ``--cert`` (or ``SYNTHGUARD_C2PA_KEY`` / ``SYNTHGUARD_C2PA_CERT``), else
``<home>/c2pa/signer.key`` with ``<home>/c2pa/chain.pem`` when both exist.

Every signed manifest is also kept in ``<home>/c2pa-manifests/<watermark id>.c2pa`` and its SHA-256
audited (``disclosure.image.manifest``); ``verify`` recovers it for a copy that lost its manifest and
checks the file against that audited digest.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ...catalog.browse import summary
from ...errors import InputError, SynthGuardError
from ...store.tables import AuditEntryRow
from . import payload
from .c2pa import Credentials
from .interface import ImageReport, LabelResult, Provenance, ReattachResult
from .label import LabelOptions, label_image
from .reattach import ReattachOptions, reattach_image
from .repository import DIRECTORY
from .verify import VerifyOptions, verify_image

if TYPE_CHECKING:
    from ...workspace import Workspace

ACTION = "disclosure.image"
KEY_FILE = Path("c2pa") / "signer.key"
CHAIN_FILE = Path("c2pa") / "chain.pem"
MANIFEST_ACTION = f"{ACTION}.manifest"


def repository_of(ws: Workspace) -> Path:
    return ws.settings.home / DIRECTORY


def _entry(watermark_id: str) -> str:
    return f"{DIRECTORY}/{watermark_id}.c2pa"


def audited_digest(ws: Workspace, watermark_id: str) -> str | None:
    """The digest the audit log recorded when the repository entry for ``watermark_id`` was last stored."""
    query = (select(AuditEntryRow.digest).where(AuditEntryRow.action == MANIFEST_ACTION,
                                                AuditEntryRow.object == _entry(watermark_id),
                                                AuditEntryRow.tenant == ws.settings.tenant,
                                                AuditEntryRow.outcome == "success")
             .order_by(AuditEntryRow.seq.desc()).limit(1))
    with ws.session() as session:
        return session.scalars(query).first()


def id_from_digest(digest: str) -> str:
    return digest.split(":", 1)[-1][:16].lower()


def provenance_for(ws: Workspace | None, dataset: str | None, generator: str | None,
                   watermark_id: str | None) -> Provenance:
    """Dataset ref, digest and generator from the catalogue; the watermark id given, derived or random."""
    ref = digest = None
    if dataset:
        if ws is None:
            raise InputError("--dataset needs a workspace (run 'synthguard init' or give --home)", field="dataset")
        version = ws.lineage(dataset)[0]
        ref, digest = version.ref, version.digest
        generator = generator or version.generator
    derived = id_from_digest(digest) if digest else secrets.token_hex(8)
    wid = payload.parse_id(watermark_id) if watermark_id else derived
    return Provenance(dataset=ref, dataset_digest=digest, generator=generator, watermark_id=wid)


def credentials_for(ws: Workspace | None, key: Path | None, cert: Path | None) -> Credentials | None:
    if (key is None) != (cert is None):
        raise InputError("C2PA signing needs both --key and --cert", field="key" if key is None else "cert")
    if key is not None and cert is not None:
        return Credentials.load(key, cert)
    if ws is None:
        return None
    home_key, home_chain = ws.settings.home / KEY_FILE, ws.settings.home / CHAIN_FILE
    if home_key.exists() and home_chain.exists():
        return Credentials.load(home_key, home_chain)
    return None


def label(ws: Workspace | None, source: Path, out: Path, *, dataset: str | None = None,
          generator: str | None = None, watermark_id: str | None = None, key: Path | None = None,
          cert: Path | None = None, watermark: bool = True, sidecar: bool = False) -> LabelResult:
    """Label ``source`` into ``out``; with a workspace, audited (``disclosure.image``), failures too, and
    the signed manifest kept in the workspace's manifest repository (audited)."""
    try:
        provenance = provenance_for(ws, dataset, generator, watermark_id)
        options = LabelOptions(provenance=provenance, credentials=credentials_for(ws, key, cert), watermark=watermark,
                               sidecar=sidecar, repository=repository_of(ws) if ws is not None else None)
        result = label_image(source, out, options)
    except SynthGuardError as exc:
        if ws is None:
            raise
        ws.record(ACTION, str(out), outcome="failure", details={"source": str(source), "error": exc.diagnostics()})
        raise
    if ws is None:
        return result
    if result.manifest_stored and result.provenance.watermark_id:
        ws.record(MANIFEST_ACTION, _entry(result.provenance.watermark_id), digest=f"sha256:{result.manifest_sha256}",
                  details={"image": str(out), "signer": result.c2pa_signer})
    ws.record(ACTION, str(out), digest=f"sha256:{result.sha256}", details={
        "source": str(source), "dataset": result.provenance.dataset, "generator": result.provenance.generator,
        "watermark_id": result.provenance.watermark_id, "xmp": result.xmp, "c2pa_signed": result.c2pa_signed,
        "c2pa_signer": result.c2pa_signer, "manifest_sha256": result.manifest_sha256, "sidecar": result.sidecar})
    return result


def find_by_watermark(ws: Workspace, watermark_id: str) -> dict[str, Any] | None:
    """The catalogue entry whose digest the id was made from, if any."""
    for version in ws.versions():
        if id_from_digest(version.digest) == watermark_id:
            return summary(version)
    return None


def verify(ws: Workspace | None, path: Path, options: VerifyOptions) -> ImageReport:
    """``verify_image`` plus, with a workspace, the catalogue entry behind the watermark id and manifest
    recovery from the workspace's repository (audited)."""
    try:
        report = verify_image(path, with_repository(ws, options))
    except SynthGuardError as exc:
        if ws is not None:
            ws.record(f"{ACTION}.verify", str(path), outcome="failure", details={"error": exc.diagnostics()})
        raise
    if ws is None:
        return report
    entry = find_by_watermark(ws, report.watermark.watermark_id) if report.watermark.watermark_id else None
    if entry is not None:
        report = replace(report, catalogue=entry)
    ws.record(f"{ACTION}.verify", str(path), outcome="success" if report.ok else "failure",
              details={"ai_marked": report.ai_marked, "c2pa_state": report.c2pa.state,
                       "credentials": report.credentials, "watermark_id": report.watermark.watermark_id})
    return report


def with_repository(ws: Workspace | None, options: VerifyOptions) -> VerifyOptions:
    """Recovery from the workspace's manifest repository, checked against the audit log."""
    if ws is None or options.recovery.repository is not None:
        return options
    recovery = replace(options.recovery, repository=repository_of(ws),
                       audited_digest=lambda watermark_id: audited_digest(ws, watermark_id))
    return replace(options, recovery=recovery)


def reattach(ws: Workspace | None, source: Path, out: Path, options: VerifyOptions, *, key: Path | None = None,
             cert: Path | None = None) -> ReattachResult:
    """``reattach_image`` with the workspace's credentials and repository; audited, failures too."""
    try:
        credentials = credentials_for(ws, key, cert)
        if credentials is None:
            raise InputError("re-attaching Content Credentials needs a signing key: --key and --cert "
                             "(or <home>/c2pa/signer.key and chain.pem)", field="key")
        result = reattach_image(source, out, ReattachOptions(credentials, with_repository(ws, options)))
    except SynthGuardError as exc:
        if ws is not None:
            ws.record(f"{ACTION}.reattach", str(out), outcome="failure",
                      details={"source": str(source), "error": exc.diagnostics()})
        raise
    if ws is not None:
        ws.record(f"{ACTION}.reattach", str(out), digest=f"sha256:{result.sha256}", details={
            "source": str(source), "watermark_id": result.watermark_id, "parent": result.parent_location,
            "actions": list(result.actions), "c2pa_signer": result.c2pa_signer})
    return result
