"""Numba kernels behind fp-v1: XXH64 chained per row over Arrow column buffers.

Private to :mod:`synthguard.fingerprint`. Numba is untyped, so the jitted kernels stay in this module
and the public names here are thin, typed wrappers; :mod:`.fpv1` turns Arrow arrays into the buffers
these wrappers take.

XXH64 is written from the xxHash specification (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md)
and is the same function as Apache Spark's ``XXH64`` (``hashLong`` for 8-byte values, ``hashUnsafeBytes``
for byte strings). Every row keeps its own running hash ``h``: each kernel hashes one column into
``h[j] = XXH64(value_j, seed=h[j])`` for the rows whose value is valid and sets ``bit`` in ``mask[j]``
for the rows that are null, so a column is one pass over whole arrays with no Python per row.

Speed comes from keeping branches off data: a null is applied by a bit-select instead of an ``if`` (random
nulls would mispredict), bools arrive as bytes so the integer kernel vectorises (AVX-512 has 64-bit
multiplies), byte strings are read with unaligned 8- and 4-byte loads (:func:`_load_u64_typing`), and
values shorter than 32 bytes take a branch-free path (:func:`_xxh64_short_py`) unless every value of the
column has the same length, where the plain spec path predicts perfectly and does less work. Helpers that
take arrays are inlined at numba's IR level: a call that passes an array costs an atomic incref/decref.

Kernels are compiled with ``cache=True`` (machine code is written next to this file, or to numba's
user-wide cache when the install is read-only), ``nogil=True`` (so :func:`~.fpv1.fingerprint` can run
row ranges on threads) and ``boundscheck=False``; ``fastmath`` stays off because the float kernel must
see NaN and -0.0 exactly. All arithmetic is on ``uint64`` and wraps modulo 2**64, as the spec requires.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .._jit import jit

__all__ = [
    "U8",
    "U64",
    "Validity",
    "finish",
    "hash_bytes",
    "hash_floats",
    "hash_ints",
    "mark_null",
    "xxh64_bytes",
    "xxh64_u64",
]

U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]


# The loads below read little-endian words directly; XXH64 is defined on little-endian lanes.
if sys.byteorder != "little":  # pragma: no cover - no supported platform is big-endian
    raise ImportError("synthguard.fingerprint needs a little-endian CPU")

_P1 = np.uint64(0x9E3779B185EBCA87)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
_P4 = np.uint64(0x85EBCA77C2B2AE63)
_P5 = np.uint64(0x27D4EB2F165667C5)
# The canonical quiet NaN (Java's Double.doubleToLongBits(NaN), which Spark hashes).
_CANONICAL_NAN = np.uint64(0x7FF8000000000000)


def _jit(fn: Callable[..., Any], *, inline: bool = False) -> Any:
    """:func:`synthguard._jit.jit` for these kernels. ``inline=True`` inlines at numba's IR level: a call
    that passes an array otherwise costs an NRT incref / decref pair per row, which LLVM cannot remove."""
    return jit(fn, error_model="numpy", inline="always" if inline else "never")


def _load_u64_typing(typingctx: Any, data: Any, position: Any) -> Any:
    """``data[position:position + 8]`` as a little-endian uint64: one unaligned load (x86 and ARM are little-endian)."""
    signature = types.uint64(data, position)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        pointer = builder.bitcast(builder.gep(array.data, [index]), ir.IntType(64).as_pointer())
        return builder.load(pointer, align=1)

    return signature, codegen


_load_u64: Any = intrinsic(_load_u64_typing)


def _load_u32_typing(typingctx: Any, data: Any, position: Any) -> Any:
    """``data[position:position + 4]`` as a little-endian uint64 (zero-extended), one unaligned load."""
    signature = types.uint64(data, position)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        pointer = builder.bitcast(builder.gep(array.data, [index]), ir.IntType(32).as_pointer())
        return builder.zext(builder.load(pointer, align=1), ir.IntType(64))

    return signature, codegen


_load_u32: Any = intrinsic(_load_u32_typing)


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
            v1 = _round(v1, _load_u64(data, p))
            v2 = _round(v2, _load_u64(data, p + 8))
            v3 = _round(v3, _load_u64(data, p + 16))
            v4 = _round(v4, _load_u64(data, p + 24))
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
        h = h ^ _round(np.uint64(0), _load_u64(data, p))
        h = _rotl(h, 27) * _P1 + _P4
        p += 8
    if p + 4 <= end:
        h = h ^ (_load_u32(data, p) * _P1)
        h = _rotl(h, 23) * _P2 + _P3
        p += 4
    while p < end:
        h = h ^ (np.uint64(data[p]) * _P5)
        h = _rotl(h, 11) * _P1
        p += 1
    return _avalanche(h)


_xxh64_bytes = _jit(_xxh64_bytes_py, inline=True)


def _select_py(take: Any, a: Any, b: Any) -> Any:
    """``a`` if ``take`` (0 or 1) else ``b``, as bit operations: no branch to mispredict on data."""
    return b ^ ((a ^ b) & (np.uint64(0) - np.uint64(take)))


_select = _jit(_select_py, inline=True)


def _xxh64_short_py(data: Any, start: Any, length: Any, seed: Any) -> Any:
    """XXH64 of ``data[start:start + length]`` for ``length < 32`` when ``start + 32 <= len(data)``.

    Same result as :func:`_xxh64_bytes_py`, but the 8-, 4- and 1-byte steps (up to 3, 1 and 3 of them)
    always run, reading bytes past the value (inside the buffer), and a step past the end of the value is
    selected away. On text of varying length the branchy version mispredicts about three times a row,
    which costs more than the extra multiplications (measured on 12-28 byte strings: 13 → 7 ns a row).
    """
    h = seed + _P5 + np.uint64(length)
    words = length >> 3
    for i in range(3):
        stepped = _rotl(h ^ _round(np.uint64(0), _load_u64(data, start + 8 * i)), 27) * _P1 + _P4
        h = stepped if i < words else h
    p = start + 8 * words
    has4 = (length >> 2) & 1
    stepped = _rotl(h ^ (_load_u32(data, p) * _P1), 23) * _P2 + _P3
    h = stepped if has4 else h
    p = p + 4 * has4
    tail = length & 3
    for i in range(3):
        stepped = _rotl(h ^ (np.uint64(data[p + i]) * _P5), 11) * _P1
        h = stepped if i < tail else h
    return _avalanche(h)


_xxh64_short = _jit(_xxh64_short_py, inline=True)


# ---- column kernels. ``valid`` is the Arrow validity bitmap (LSB first) read from bit ``voff``;
# ``has_valid`` is False when the column has no nulls (the bitmap may then be absent). With a bitmap,
# every row is hashed and the result kept or dropped by :func:`_select_py`: random nulls would otherwise
# mispredict, and Arrow guarantees the values (offsets) under a null slot are still in bounds.


def _bit_py(byte: Any, i: Any) -> Any:
    """Bit ``i % 8`` of ``byte`` (Arrow bitmaps are LSB first) as uint64 0 / 1. Callers index the bitmap
    themselves: a helper that takes an array costs an atomic incref / decref per call."""
    return np.uint64((byte >> (i & 7)) & 1)


_bit = _jit(_bit_py, inline=True)


def _hash_ints_py(values: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any, bit: Any) -> None:
    # Any integer dtype: widen to int64 (sign- or zero-extending), then reinterpret the bits as uint64.
    # Without a bitmap the loop is branch-free and LLVM vectorises it (AVX-512 has 64-bit multiplies).
    n = h.shape[0]
    if has_valid:
        for j in range(n):
            ok = _bit(valid[(voff + j) >> 3], voff + j)
            h[j] = _select(ok, _xxh64_u64(np.uint64(np.int64(values[j])), h[j]), h[j])
            mask[j] |= (np.uint64(1) - ok) * bit
    else:
        for j in range(n):
            h[j] = _xxh64_u64(np.uint64(np.int64(values[j])), h[j])


_hash_ints = _jit(_hash_ints_py)


def _canonical_float_bits_py(value: Any, bits: Any) -> Any:
    # -0.0 == 0.0, so both become the bits of 0.0; NaN != NaN catches every NaN payload.
    canonical = _select(value != value, _CANONICAL_NAN, bits)
    return _select(value == 0.0, np.uint64(0), canonical)


_canonical_float_bits = _jit(_canonical_float_bits_py, inline=True)


def _hash_floats_py(values: Any, bits: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any,
                    bit: Any) -> None:
    # ``values`` is float64 and ``bits`` the same memory viewed as uint64 (numba cannot bit-cast a scalar).
    n = h.shape[0]
    if has_valid:
        for j in range(n):
            ok = _bit(valid[(voff + j) >> 3], voff + j)
            h[j] = _select(ok, _xxh64_u64(_canonical_float_bits(values[j], bits[j]), h[j]), h[j])
            mask[j] |= (np.uint64(1) - ok) * bit
    else:
        for j in range(n):
            h[j] = _xxh64_u64(_canonical_float_bits(values[j], bits[j]), h[j])


_hash_floats = _jit(_hash_floats_py)


def _uniform_lengths_py(offsets: Any) -> Any:
    """Whether every value has the same length; stops at the first difference, so it is nearly free on text."""
    n = offsets.shape[0] - 1
    if n < 2:
        return True
    first = np.int64(offsets[1]) - np.int64(offsets[0])
    for j in range(1, n):  # noqa: SIM110 - numba compiles a loop, not all() over a generator
        if np.int64(offsets[j + 1]) - np.int64(offsets[j]) != first:
            return False
    return True


_uniform_lengths = _jit(_uniform_lengths_py)


def _hash_bytes_py(offsets: Any, data: Any, valid: Any, voff: Any, has_valid: Any, h: Any, mask: Any,
                   bit: Any, branchless: Any) -> None:
    # ``offsets`` already starts at the array's first row (n + 1 entries, int32 or int64). ``branchless``
    # picks _xxh64_short for short values; values of one fixed length predict perfectly and take the
    # branchy path, which does less work.
    size = np.int64(data.shape[0])
    for j in range(h.shape[0]):
        start = np.int64(offsets[j])
        length = np.int64(offsets[j + 1]) - start
        if branchless and length < 32 and start + 32 <= size:
            hashed = _xxh64_short(data, start, length, h[j])
        else:
            hashed = _xxh64_bytes(data, start, length, h[j])
        if has_valid:
            ok = _bit(valid[(voff + j) >> 3], voff + j)
            h[j] = _select(ok, hashed, h[j])
            mask[j] |= (np.uint64(1) - ok) * bit
        else:
            h[j] = hashed


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


def hash_bytes(offsets: npt.NDArray[np.int32] | npt.NDArray[np.int64], data: U8, validity: Validity, h: U64,
               mask: U64, bit: int) -> None:
    """Chain a variable-length binary column (Arrow offsets + data) into ``h``."""
    _hash_bytes(offsets, data, *validity.args(), h, mask, np.uint64(bit), not _uniform_lengths(offsets))


def mark_null(mask: U64, bit: int) -> None:
    """Record a column that is null in every row."""
    _mark_null(mask, np.uint64(bit))


def finish(h: U64, mask: U64) -> None:
    """Chain the null bitmask last, in place: ``h`` becomes the fp-v1 value of each row."""
    _finish(h, mask)
