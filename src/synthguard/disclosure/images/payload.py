"""The watermark payload: a 64-bit id as a Reed–Solomon codeword of 144 bits, and back.

8 id bytes + 10 parity bytes (``reedsolo``, GF(2^8)) correct any 5 damaged bytes. A random 144-bit
word decodes to *some* codeword with probability ≈ C(18,5)·255^5 / 256^10 ≈ 8e-9, which is what
keeps an unmarked image from being reported as marked.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray
from reedsolo import ReedSolomonError, RSCodec

from ...errors import InputError

ID_BYTES = 8
PARITY_BYTES = 10
CODE_BITS = (ID_BYTES + PARITY_BYTES) * 8
_CODEC = RSCodec(PARITY_BYTES)
_HEX_ID = re.compile(r"(?:0x)?([0-9a-fA-F]{1,16})")


def parse_id(text: str) -> str:
    """Normalise a watermark id given by a person: 1–16 hex digits → 16 lower-case hex digits."""
    match = _HEX_ID.fullmatch(text.strip())
    if match is None:
        raise InputError("watermark id must be 1 to 16 hexadecimal digits (64 bits)", field="watermark-id")
    return match.group(1).lower().rjust(16, "0")


def encode(watermark_id: str) -> NDArray[np.uint8]:
    """The 144 code bits (0/1) for a 16-hex-digit id."""
    codeword = bytes(_CODEC.encode(bytes.fromhex(parse_id(watermark_id))))
    return np.unpackbits(np.frombuffer(codeword, dtype=np.uint8))


def decode(bits: NDArray[np.uint8]) -> tuple[str, NDArray[np.uint8]] | None:
    """(id, corrected code bits) when ``bits`` is within correcting distance of a codeword, else None."""
    received = bytearray(np.packbits(bits.astype(np.uint8)).tobytes())
    try:
        message, codeword, _errata = _CODEC.decode(received)
    except ReedSolomonError:
        return None
    return bytes(message).hex(), np.unpackbits(np.frombuffer(bytes(codeword), dtype=np.uint8))
