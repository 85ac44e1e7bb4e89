"""Checks shared by online and offline verification: the DSSE signature, that the signed
statement describes the recorded manifest, and that the files on disk match it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SignatureError
from ..models import FileDigest, Manifest
from ..provenance import dsse, intoto
from ..provenance.keys import Keyring
from . import digest, manifests


@dataclass(frozen=True)
class Verification:
    """The outcome of a verification; ``ok`` False carries the first reason found."""

    ok: bool
    reason: str
    ref: str | None = None
    digest: str | None = None
    files: int = 0
    key_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "reason": self.reason, "ref": self.ref, "digest": self.digest,
                "files": self.files, "key_id": self.key_id}


def signed_statement(envelope: dict[str, Any], keyring: Keyring, files: tuple[FileDigest, ...],
                     root: str) -> dict[str, Any]:
    """The verified statement; SignatureError unless it is signed by a trusted key and names
    exactly ``files`` (paths and SHA-256) and manifest ``root``."""
    stmt = intoto.decode(dsse.verify(envelope, keyring))
    subjects = {s.get("name"): s.get("digest", {}).get("sha256") for s in stmt.get("subject", [])}
    if subjects != {f.path: f.sha256 for f in files}:
        raise SignatureError("the signed statement names other files or digests than the manifest")
    if stmt["predicate"].get("manifest", {}).get("root") != root:
        raise SignatureError("the signed statement names another manifest root")
    if manifests.root_of(files) != root:
        raise SignatureError("the recorded shard digests do not add up to the manifest root")
    return stmt


def signer_of(envelope: dict[str, Any]) -> str | None:
    signatures = envelope.get("signatures") or [{}]
    return str(signatures[0].get("keyid")) if signatures[0].get("keyid") else None


def content_difference(paths: list[Path], recorded: tuple[FileDigest, ...], root: str, *,
                       actual: Manifest | None = None,
                       progress: digest.ProgressCallback | None = None) -> str | None:
    """A sentence naming the first file / shard that differs, or ``None`` when all match.

    ``actual`` is the manifest of ``paths`` when the caller has already computed it.
    """
    expected = Manifest(recorded, root)
    difference = (manifests.compare(expected, actual) if actual is not None
                  else digest.verify_paths(paths, expected, progress=progress))
    return None if difference is None else difference.message
