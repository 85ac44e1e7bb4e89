"""Signers: one interface, one module per key custody (local file today; Key Vault / HSM later)."""

from .interface import Signer
from .local import LocalKeySigner

__all__ = ["LocalKeySigner", "Signer"]
