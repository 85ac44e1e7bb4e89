"""A signer whose Ed25519 private key is a PKCS#8 PEM file on local disk (mode 0600)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ...errors import WorkspaceError
from ..keys import key_id_of
from .interface import Signer


class LocalKeySigner(Signer):
    """Holds the private key in memory after reading it once from ``path``."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id_of(self._public)

    @classmethod
    def generate(cls, path: Path) -> LocalKeySigner:
        """Create a new key and write it to ``path`` with mode 0600 (never world- or group-readable)."""
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> LocalKeySigner:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError as exc:
            raise WorkspaceError("signing key is missing; run 'synthguard init'", path=str(path)) from exc
        except ValueError as exc:
            raise WorkspaceError(f"signing key is unreadable: {exc}", path=str(path)) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise WorkspaceError("signing key is not an Ed25519 key", path=str(path))
        return cls(key)

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_key_bytes(self) -> bytes:
        return self._public
