"""Verification bundles: everything an auditor needs to verify a dataset offline with a public key.

A bundle is JSON: the DSSE envelope and the sharded manifest. The envelope binds the manifest
(root and file digests), so the manifest needs no signature of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError, SynthGuardError
from ..models import DatasetVersion
from ..provenance.keys import Keyring, load_public_pem
from . import attestation
from .attestation import Verification
from .records import files_from_json, files_to_json

MEDIA_TYPE = "application/vnd.synthguard.bundle.v1+json"


def bundle_of(version: DatasetVersion) -> dict[str, Any]:
    return {"mediaType": MEDIA_TYPE, "ref": version.ref, "manifest": {
        "root": version.digest, "files": files_to_json(version.files)},
        "dsseEnvelope": version.envelope}


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("bundle not found", path=str(path)) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"bundle is not JSON: {exc}", path=str(path)) from exc
    if not isinstance(data, dict) or data.get("mediaType") != MEDIA_TYPE:
        raise InputError(f"not a SynthGuard bundle (mediaType must be {MEDIA_TYPE})", path=str(path))
    return data


def verify_offline(paths: list[Path], bundle_path: Path, key_path: Path) -> Verification:
    """The auditor's check: no database, only the files, the bundle and a trusted public key."""
    bundle = read_bundle(bundle_path)
    try:
        key = load_public_pem(key_path.read_bytes(), origin=str(key_path))
    except FileNotFoundError as exc:
        raise InputError("public key not found", path=str(key_path)) from exc
    try:
        files = files_from_json(bundle["manifest"]["files"])
        root = str(bundle["manifest"]["root"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"bundle manifest is malformed: {exc}", path=str(bundle_path)) from exc
    ref = str(bundle.get("ref"))
    try:
        stmt = attestation.signed_statement(bundle.get("dsseEnvelope") or {}, Keyring.of([key]), files, root)
    except SynthGuardError as exc:
        return Verification(False, f"attestation: {exc.message}", ref, root)
    ref = f"{stmt['predicate'].get('name')}@{stmt['predicate'].get('version')}"
    difference = attestation.content_difference(paths, files, root)
    if difference is not None:
        return Verification(False, f"content differs from {ref}: {difference}", ref, root)
    signer = attestation.signer_of(bundle["dsseEnvelope"])
    return Verification(True, f"{len(files)} file(s) match {ref}, signed by {signer}", ref, root,
                        len(files), signer)
