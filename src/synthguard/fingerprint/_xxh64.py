"""Numba kernels behind fp-v1: XXH64 chained per row over Arrow column buffers.

Private to :mod:`synthguard.fingerprint`. Numba is untyped, so the jitted kernels stay in this module
and the public names here are thin, typed wrappers; :mod:`.fpv1` turns Arrow arrays into the buffers
these wrappers take.

XXH64 is written from the xxHash specification (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md)
and is the same function as Apache Spark's ``XXH64`` (``hashLong`` for 8-byte values, ``hashUnsafeBytes``
for byte strings). Every row keeps its own running hash ``h``: each kernel hashes one column into
``h[j] = XXH64(value_j, seed=h[j])`` for the rows whose value is valid and sets ``bit`` in ``mask[j]``
for the rows that are null, so a column is one pass over whole arrays with no Python per row.

Kernels are compiled with ``cache=True`` (machine code is written next to this file, or to numba's
user-wide cache when the install is read-only), ``nogil=True`` (so :func:`~.fpv1.fingerprint` can run
row ranges on threads) and ``boundscheck=False``; ``fastmath`` stays off because the float kernel must
see NaN and -0.0 exactly. All arithmetic is on ``uint64`` and wraps modulo 2**64, as the spec requires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "U64",
    "U8",
    "Validity",
    "finish",
    "hash_bool",
    "hash_bytes",
    "hash_floats",
    "hash_ints",
    "mark_null",
    "xxh64_bytes",
    "xxh64_u64",
]

U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]

_log = logging.getLogger(__name__)

_P1 = np.uint64(0x9E3779B185EBCA87)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
_P4 = np.uint64(0x85EBCA77C2B2AE63)
_P5 = np.uint64(0x27D4EB2F165667C5)
# The canonical quiet NaN (Java's Double.doubleToLongBits(NaN), which Spark hashes).
_CANONICAL_NAN = np.uint64(0x7FF8000000000000)


def _jit(fn: Callable[..., Any]) -> Any:
    """``njit`` with an on-disk cache, falling back to an in-memory compile when no cache dir is writable."""
    options: dict[str, Any] = {"nogil": True, "boundscheck": False, "error_model": "numpy"}
    try:
        return njit(cache=True, **options)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        _log.debug("numba cache unavailable for %s; compiling in memory", fn.__name__)
        return njit(**options)(fn)


# ---- XXH64 primitives (uint64 throughout; shifts take uint64 counts so numba never promotes to float)


def _rotl_py(x: Any, r: Any) -> Any:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


_rotl = _jit(_rotl_py)


def _round_py(acc: Any, lane: Any) -> Any:
    acc = acc + lane * _P2
    acc = _rotl(acc, 31)
    return acc * _P1


_round = _jit(_round_py)


def _merge_py(h: Any, v: Any) -> Any:
    h = h ^ _round(np.uint64(0), v)
    return h * _P1 + _P4


_merge = _jit(_merge_py)


def _avalanche_py(h: Any) -> Any:
    h = h ^ (h >> np.uint64(33))
    h = h * _P2
    h = h ^ (h >> np.uint64(29))
    h = h * _P3
    return h ^ (h >> np.uint64(32))


_avalanche = _jit(_avalanche_py)


def _read64_py(data: Any, p: Any) -> Any:
    # Byte by byte, little-endian: LLVM folds this into one unaligned 8-byte load on x86.
    return (np.uint64(data[p]) | (np.uint64(data[p + 1]) << np.uint64(8))
            | (np.uint64(data[p + 2]) << np.uint64(16)) | (np.uint64(data[p + 3]) << np.uint64(24))
            | (np.uint64(data[p + 4]) << np.uint64(32)) | (np.uint64(data[p + 5]) << np.uint64(40))
            | (np.uint64(data[p + 6]) << np.uint64(48)) | (np.uint64(data[p + 7]) << np.uint64(56)))


_read64 = _jit(_read64_py)


def _read32_py(data: Any, p: Any) -> Any:
    return (np.uint64(data[p]) | (np.uint64(data[p + 1]) << np.uint64(8))
            | (np.uint64(data[p + 2]) << np.uint64(16)) | (np.uint64(data[p + 3]) << np.uint64(24)))


_read32 = _jit(_read32_py)


def _xxh64_u64_py(value: Any, seed: Any) -> Any:
    """XXH64 of the 8 little-endian bytes of ``value``: the spec's path for an 8-byte input, unrolled."""
    h = seed + _P5 + np.uint64(8)
    h = h ^ _round(np.uint64(0), value)
    h = _rotl(h, 27) * _P1 + _P4
    return _avalanche(h)


_xxh64_u64 = _jit(_xxh64_u64_py)


def _xxh64_bytes_py(data: Any, start: Any, length: Any, seed: Any) -> Any:
    """XXH64 of ``data[start:start + length]``: 32-byte stripes, then 8-, 4- and 1-byte tails."""
    p = start
    end = start + length
    if length >= 32:
        v1 = seed + _P1 + _P2
        v2 = seed + _P2
        v3 = seed
        v4 = seed - _P1
        limit = end - 32
        while p <= limit:
            v1 = _round(v1, _read64(data, p))
            v2 = _round(v2, _read64(data, p + 8))
            v3 = _round(v3, _read64(data, p + 16))
            v4 = _round(v4, _read64(data, p + 24))
            p += 32
        h = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)
        h = _merge(h, v1)
        h = _merge(h, v2)
        h = _merge(h, v3)
        h = _merge(h, v4)
    else:
        h = seed + _P5
    h = h + np.uint64(length)
    while p + 8 <= end:
        h = h ^ _round(np.uint64(0), _read64(data, p))
        h = _rotl(h, 27) * _P1 + _P4
        p += 8
    if p + 4 <= end:
        h = h ^ (_read32(data, p) * _P1)
        h = _rotl(h, 23) * _P2 + _P3
        p += 4
    while p < end:
        h = h ^ (np.uint64(data[p]) * _P5)
        h = _rotl(h, 11) * _P1
        p += 1
    return _avalanche(h)


_xxh64_bytes = _jit(_xxh64_bytes_py)


# ---- column kernels. ``valid`` is the Arrow validity bitmap (LSB first) read from bit ``voff``;
# ``has_valid`` is False when the column has no nulls (the bitmap may then be absent).


def _is_valid_py(valid: Any, i: Any) -> Any:
    return (valid[i >> 3] >> (i & 7)) & 1


_is_valid = _jit(_is_valid_py)


def _hash_ints_py(values: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any, bit: Any) -> None:
    # Any integer dtype: widen to int64 (sign- or zero-extending), then reinterpret the bits as uint64.
    n = h.shape[0]
    if has_valid:
        for j in range(n):
            if _is_valid(valid, voff + j):
                h[j] = _xxh64_u64(np.uint64(np.int64(values[j])), h[j])
            else:
                mask[j] |= bit
    else:
        for j in range(n):
            h[j] = _xxh64_u64(np.uint64(np.int64(values[j])), h[j])


_hash_ints = _jit(_hash_ints_py)


def _canonical_float_bits_py(value: Any, bits: Any) -> Any:
    if value == 0.0:  # 0.0 and -0.0
        return np.uint64(0)
    if value != value:  # every NaN payload
        return _CANONICAL_NAN
    return bits


_canonical_float_bits = _jit(_canonical_float_bits_py)


def _hash_floats_py(values: Any, bits: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any,
                    bit: Any) -> None:
    # ``values`` is float64 and ``bits`` the same memory viewed as uint64 (numba cannot bit-cast a scalar).
    n = h.shape[0]
    for j in range(n):
        if has_valid and not _is_valid(valid, voff + j):
            mask[j] |= bit
        else:
            h[j] = _xxh64_u64(_canonical_float_bits(values[j], bits[j]), h[j])


_hash_floats = _jit(_hash_floats_py)


def _hash_bool_py(data: Any, doff: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any,
                  bit: Any) -> None:
    n = h.shape[0]
    for j in range(n):
        if has_valid and not _is_valid(valid, voff + j):
            mask[j] |= bit
        else:
            h[j] = _xxh64_u64(np.uint64(_is_valid(data, doff + j)), h[j])


_hash_bool = _jit(_hash_bool_py)


def _hash_bytes_py(offsets: Any, data: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any,
                   bit: Any) -> None:
    # ``offsets`` already starts at the array's first row (n + 1 entries, int32 or int64).
    n = h.shape[0]
    for j in range(n):
        if has_valid and not _is_valid(valid, voff + j):
            mask[j] |= bit
        else:
            start = np.int64(offsets[j])
            h[j] = _xxh64_bytes(data, start, np.int64(offsets[j + 1]) - start, h[j])


_hash_bytes = _jit(_hash_bytes_py)


def _mark_null_py(mask: Any, bit: Any) -> None:
    for j in range(mask.shape[0]):
        mask[j] |= bit


_mark_null = _jit(_mark_null_py)


def _finish_py(h: Any, mask: Any) -> None:
    for j in range(h.shape[0]):
        h[j] = _xxh64_u64(mask[j], h[j])


_finish = _jit(_finish_py)


# ---- typed wrappers


class Validity:
    """An Arrow validity bitmap and the bit where the array starts; ``bitmap is None`` means no nulls."""

    __slots__ = ("bitmap", "offset")

    _EMPTY: U8 = np.zeros(1, dtype=np.uint8)

    def __init__(self, bitmap: U8 | None, offset: int) -> None:
        self.bitmap = bitmap
        self.offset = offset

    def args(self) -> tuple[U8, int, bool]:
        if self.bitmap is None:
            return self._EMPTY, 0, False
        return self.bitmap, self.offset, True


def xxh64_u64(value: int, seed: int) -> int:
    """XXH64 of the 8 little-endian bytes of the unsigned 64-bit ``value``."""
    return int(_xxh64_u64(np.uint64(value), np.uint64(seed)))


def xxh64_bytes(data: bytes, seed: int) -> int:
    """XXH64 of ``data``."""
    buffer = np.frombuffer(data, dtype=np.uint8) if data else np.zeros(1, dtype=np.uint8)
    return int(_xxh64_bytes(buffer, np.int64(0), np.int64(len(data)), np.uint64(seed)))


def hash_ints(values: npt.NDArray[np.integer[Any]], validity: Validity, h: U64, mask: U64, bit: int) -> None:
    """Chain an integer column (any width, signed or not) into ``h`` as int64 values."""
    _hash_ints(values, *validity.args(), h, mask, np.uint64(bit))


def hash_floats(values: npt.NDArray[np.float64], validity: Validity, h: U64, mask: U64, bit: int) -> None:
    """Chain a float64 column into ``h`` with -0.0 as 0.0 and every NaN as the canonical NaN."""
    _hash_floats(values, values.view(np.uint64), *validity.args(), h, mask, np.uint64(bit))


def hash_bool(data: U8, data_offset: int, validity: Validity, h: U64, mask: U64, bit: int) -> None:
    """Chain a bit-packed boolean column into ``h`` as int64 0 / 1."""
    _hash_bool(data, np.int64(data_offset), *validity.args(), h, mask, np.uint64(bit))


def hash_bytes(offsets: npt.NDArray[np.int32] | npt.NDArray[np.int64], data: U8, validity: Validity, h: U64,
               mask: U64, bit: int) -> None:
    """Chain a variable-length binary column (Arrow offsets + data) into ``h``."""
    _hash_bytes(offsets, data, *validity.args(), h, mask, np.uint64(bit))


def mark_null(mask: U64, bit: int) -> None:
    """Record a column that is null in every row."""
    _mark_null(mask, np.uint64(bit))


def finish(h: U64, mask: U64) -> None:
    """Chain the null bitmask last, in place: ``h`` becomes the fp-v1 value of each row."""
    _finish(h, mask)
