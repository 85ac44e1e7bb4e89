"""DSSE v1 envelopes (https://github.com/secure-systems-lab/dsse): PAE, sign, verify.

Hand-written: the protocol is a few lines, and the maintained implementation (securesystemslib)
pulls in a key-management stack we do not need; our signers already produce raw Ed25519 signatures.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..errors import SignatureError
from .keys import Keyring
from .signers import Signer

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding: ``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def sign(payload: bytes, signer: Signer, payload_type: str = INTOTO_PAYLOAD_TYPE) -> dict[str, Any]:
    signature = signer.sign(pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": signer.key_id, "sig": base64.b64encode(signature).decode("ascii")}],
    }


def verify(envelope: dict[str, Any], keyring: Keyring) -> bytes:
    """The payload when at least one signature verifies with a key of ``keyring``; else SignatureError."""
    try:
        payload = _strict_b64(envelope["payload"])
        payload_type = str(envelope["payloadType"])
        signatures = list(envelope["signatures"])
    except (KeyError, TypeError, binascii.Error) as exc:
        raise SignatureError(f"malformed DSSE envelope: {exc}") from exc
    if not signatures:
        raise SignatureError("DSSE envelope carries no signature")
    message = pae(payload_type, payload)
    failures = []
    for entry in signatures:
        try:
            keyring.verify(str(entry["keyid"]), message, _strict_b64(entry["sig"]))
            return payload
        except (SignatureError, KeyError, TypeError, binascii.Error) as exc:
            failures.append(str(exc))
    raise SignatureError("; ".join(failures))


def _strict_b64(text: str) -> bytes:
    """Decode base64, refusing non-canonical text (unused bits set), so every change to a stored
    envelope is detected, not only the changes that alter the decoded bytes."""
    decoded = base64.b64decode(text, validate=True)
    if base64.b64encode(decoded).decode("ascii") != text:
        raise binascii.Error("non-canonical base64")
    return decoded
