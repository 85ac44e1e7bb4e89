"""The watermark's keyed PRF: SipHash-2-4 of one 8-byte message, and a keyed 64-bit mixer, as numba kernels.

Hand-written because nothing vectorised exists: ``hashlib.hmac`` and the ``siphash24`` package hash one
message per Python call (~1 µs), and embedding must run at ≥ 5 M rows/s with several anchors per row.
SipHash-2-4 (Aumasson & Bernstein, 2012) is a keyed PRF designed for short inputs; it is written here
from the paper and checked against the reference vectors and the ``siphash24`` package in the tests.
Per (source, target) pair the PRF output goes through a bijective 64-bit mixer (the SplitMix64
finaliser) keyed by a secret salt: cheap, and as unpredictable as its input as long as the input is a
PRF output nobody sees. All arithmetic is ``uint64`` and wraps modulo 2**64.

Private to :mod:`synthguard.watermark`; :mod:`._kernels` holds the typed wrappers the package calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._jit import jit

_C0 = np.uint64(0x736F6D6570736575)
_C1 = np.uint64(0x646F72616E646F6D)
_C2 = np.uint64(0x6C7967656E657261)
_C3 = np.uint64(0x7465646279746573)
_LEN8 = np.uint64(8 << 56)  # SipHash's last block for an 8-byte message: length in the top byte
_FF = np.uint64(0xFF)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _jit(fn: Callable[..., Any]) -> Any:
    return jit(fn, error_model="numpy")


def _rotl_py(x: Any, r: Any) -> Any:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


_rotl = _jit(_rotl_py)


def _sipround_py(v0: Any, v1: Any, v2: Any, v3: Any) -> tuple[Any, Any, Any, Any]:
    """One SipRound (the paper's ARX network on the four state words)."""
    v0 += v1
    v1 = _rotl(v1, 13)
    v1 ^= v0
    v0 = _rotl(v0, 32)
    v2 += v3
    v3 = _rotl(v3, 16)
    v3 ^= v2
    v0 += v3
    v3 = _rotl(v3, 21)
    v3 ^= v0
    v2 += v1
    v1 = _rotl(v1, 17)
    v1 ^= v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


_sipround = jit(_sipround_py, error_model="numpy", inline="always")


def _siphash_u64_py(k0: Any, k1: Any, m: Any) -> Any:
    """SipHash-2-4 of the 8 little-endian bytes of ``m`` under the key ``(k0, k1)``."""
    v0 = k0 ^ _C0
    v1 = k1 ^ _C1
    v2 = k0 ^ _C2
    v3 = k1 ^ _C3
    for block in (m, _LEN8):
        v3 ^= block
        for _ in range(2):  # c = 2 compression rounds
            v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        v0 ^= block
    v2 ^= _FF
    for _ in range(4):  # d = 4 finalisation rounds
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


_siphash_u64 = _jit(_siphash_u64_py)


def _mix_py(z: Any) -> Any:
    """SplitMix64's finaliser: a bijection on 64-bit words with full avalanche."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


_mix = _jit(_mix_py)


def _siphash_many_py(k0: Any, k1: Any, values: Any, out: Any) -> None:
    for i in range(values.size):
        out[i] = _siphash_u64(k0, k1, values[i])


_siphash_many = _jit(_siphash_many_py)

CACHE = 1 << 14  # slots of the direct-mapped cache of ``_siphash_cached_py`` (256 KB per source)


def _siphash_cached_py(k0: Any, k1: Any, values: Any, out: Any, seen: Any, hashes: Any) -> None:
    """``_siphash_many_py`` through a direct-mapped cache indexed by a value's low bits.

    Anchors from numeric marks are coarse quantisation cells — consecutive integers, a few thousand
    distinct per million rows — so most rows hit; unique anchors (ids) miss at the cost of one compare.
    Slot ``j`` starts holding ``j + 1``, which no value mapped to ``j`` can equal.
    """
    mask = np.uint64(seen.size - 1)
    for i in range(values.size):
        v = values[i]
        j = v & mask
        if seen[j] == v:
            out[i] = hashes[j]
        else:
            h = _siphash_u64(k0, k1, v)
            seen[j] = v
            hashes[j] = h
            out[i] = h


_siphash_cached = _jit(_siphash_cached_py)
