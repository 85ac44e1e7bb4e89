"""The signer interface: what the catalogue and the audit log need from a key, wherever it lives.

An Azure Key Vault or HSM signer implements the same four members; nothing else in SynthGuard
touches private key material.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Signer(ABC):
    """Signs bytes with one Ed25519 key and names that key."""

    #: Stable identifier of the key (``ed25519:<16 hex>``), recorded next to every signature.
    key_id: str

    @abstractmethod
    def sign(self, data: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature of ``data``."""

    @abstractmethod
    def public_key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
