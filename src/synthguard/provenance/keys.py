"""Public keys trusted for verification: the active key and every key rotated out before it.

Keys are stored as PEM files ``<keys dir>/<key id>.pub``; rotation adds a file and never removes
one, so signatures made before a rotation still verify.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import InputError, SignatureError


def key_id_of(public_key: bytes) -> str:
    """``ed25519:`` and the first 16 hex digits of SHA-256 over the raw public key."""
    return "ed25519:" + hashlib.sha256(public_key).hexdigest()[:16]


def public_pem(public_key: bytes) -> bytes:
    return Ed25519PublicKey.from_public_bytes(public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_pem(data: bytes, *, origin: str) -> bytes:
    """Raw public key bytes from a PEM file's content; ``origin`` names the file in errors."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise InputError(f"not a PEM public key: {exc}", path=origin) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("not an Ed25519 public key", path=origin)
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Keyring:
    """Raw Ed25519 public keys by key id."""

    keys: dict[str, bytes]

    @classmethod
    def of(cls, public_keys: Iterable[bytes]) -> Keyring:
        return cls({key_id_of(k): k for k in public_keys})

    @classmethod
    def from_dir(cls, directory: Path) -> Keyring:
        return cls.of(load_public_pem(p.read_bytes(), origin=str(p)) for p in sorted(directory.glob("*.pub")))

    def verify(self, key_id: str, data: bytes, signature: bytes) -> None:
        """Raise ``SignatureError`` unless ``signature`` is a valid signature of ``data`` by ``key_id``."""
        public = self.keys.get(key_id)
        if public is None:
            raise SignatureError(f"signed by unknown key {key_id}")
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
        except InvalidSignature as exc:
            raise SignatureError(f"signature by {key_id} does not verify") from exc
