"""Numba kernels behind the watermark: a keyed PRF per (stable column, row) and the cell selection.

Private to :mod:`synthguard.watermark`; the typed wrappers at the bottom are what the package calls.

Hand-written because nothing vectorised exists: ``hashlib.hmac`` and the ``siphash24`` package hash one
message per Python call (~1 µs), and embedding must run at ≥ 5 M rows/s with several anchors per row.
The PRF is SipHash-2-4 (Aumasson & Bernstein, 2012) of one 8-byte message — a keyed PRF designed for
short inputs — written from the paper and checked against the reference vectors and the ``siphash24``
package in the tests. Per (source, target) pair the PRF output goes through a bijective 64-bit mixer
(the SplitMix64 finaliser) keyed by a secret salt: cheap, and as unpredictable as its input as long as
the input is a PRF output nobody sees.

All arithmetic is ``uint64`` and wraps modulo 2**64; shift counts are ``uint64`` so numba never
promotes to float. Kernels release the GIL and large inputs are split into row ranges run on a small
thread pool (as fp-v1 does) rather than with numba's ``parallel=True``, whose default thread pool must
not be entered from several Python threads at once (the HTTP server checks batches concurrently).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

_log = logging.getLogger(__name__)

_C0 = np.uint64(0x736F6D6570736575)
_C1 = np.uint64(0x646F72616E646F6D)
_C2 = np.uint64(0x6C7967656E657261)
_C3 = np.uint64(0x7465646279746573)
_LEN8 = np.uint64(8 << 56)  # SipHash's last block for an 8-byte message: length in the top byte
_FF = np.uint64(0xFF)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


MIN_RANGE = 1 << 17  # rows per thread below which one thread is faster


def _jit(fn: Callable[..., Any]) -> Any:
    """``njit`` with an on-disk cache, falling back to an in-memory compile when no cache dir is writable."""
    options: dict[str, Any] = {"nogil": True, "boundscheck": False, "error_model": "numpy"}
    try:
        return njit(cache=True, **options)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        _log.debug("numba cache unavailable for %s; compiling in memory", fn.__name__)
        return njit(**options)(fn)


def _rotl_py(x: Any, r: Any) -> Any:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


_rotl = _jit(_rotl_py)


def _siphash_u64_py(k0: Any, k1: Any, m: Any) -> Any:
    """SipHash-2-4 of the 8 little-endian bytes of ``m`` under the key ``(k0, k1)``."""
    v0 = k0 ^ _C0
    v1 = k1 ^ _C1
    v2 = k0 ^ _C2
    v3 = k1 ^ _C3
    for block in (m, _LEN8):
        v3 ^= block
        for _ in range(2):
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
        v0 ^= block
    v2 ^= _FF
    for _ in range(4):
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


def _select_py(anchors: Any, valid: Any, sources: Any, salts: Any, threshold: Any,
               selected: Any, hash_out: Any) -> None:
    """For each target column and row, the first source (in priority order) whose keyed hash selects the cell.

    ``anchors[s, r]`` is the PRF of source ``s`` at row ``r`` (valid where ``valid[s, r]``);
    ``sources[t, i]`` is target ``t``'s i-th source (-1: none) and ``salts[t, i]`` its pair salt; the
    pair hash is ``mix(anchor ^ salt)``, whose low 16 bits below ``threshold`` select the cell. All
    targets are done in one pass over the rows (each anchor is read from memory once); the caller
    compresses ``selected`` afterwards.
    """
    mask16 = np.uint64(0xFFFF)
    for r in range(anchors.shape[1]):
        for t in range(sources.shape[0]):
            selected[t, r] = False
            for i in range(sources.shape[1]):
                s = sources[t, i]
                if s < 0:
                    break
                if not valid[s, r]:
                    continue
                h = _mix(anchors[s, r] ^ salts[t, i])
                if (h & mask16) < threshold:
                    selected[t, r] = True
                    hash_out[t, r] = h
                    break


_select = _jit(_select_py)


def _quantise_py(values: Any, q: Any, coarse: Any, bit: Any, offset: Any, finite: Any) -> None:
    """Numeric cells: coarse cell ⌊v/2q⌋, sub-cell bit ⌊v/q⌋ mod 2 and conditioned offset ¼ + ½f."""
    for i in range(values.size):
        v = values[i]
        if np.isfinite(v):
            scaled = v / q
            n = np.floor(scaled)
            c = np.floor(n / 2.0)
            coarse[i] = np.int64(c)
            bit[i] = n - 2.0 * c
            offset[i] = 0.25 + 0.5 * (scaled - n)
            finite[i] = True
        else:
            coarse[i] = 0
            bit[i] = 0.0
            offset[i] = 0.5
            finite[i] = False


_quantise = _jit(_quantise_py)


def _votes_py(positions: Any, estimates: Any, ones: Any, zeros: Any) -> None:
    for i in range(positions.size):
        if estimates[i] == 1:
            ones[positions[i]] += 1
        elif estimates[i] == 0:
            zeros[positions[i]] += 1


_votes = _jit(_votes_py)


def _ks_sorted_py(a: Any, b: Any) -> float:
    """sup |F_a − F_b| of two sorted samples: one merge pass over both."""
    i = j = 0
    best = 0.0
    while i < a.size and j < b.size:
        x = min(a[i], b[j])
        while i < a.size and a[i] <= x:
            i += 1
        while j < b.size and b[j] <= x:
            j += 1
        gap = abs(i / a.size - j / b.size)
        best = max(best, gap)
    return best


_ks_sorted = _jit(_ks_sorted_py)


# ---- typed wrappers ------------------------------------------------------------------------------------


def _ranges(rows: int) -> list[tuple[int, int]]:
    parts = max(1, min(os.cpu_count() or 1, 8, rows // MIN_RANGE))
    bounds = np.linspace(0, rows, parts + 1).astype(int)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _run(kernel: Callable[[int, int], None], rows: int) -> None:
    """``kernel(start, stop)`` over row ranges, on threads when there are enough rows."""
    ranges = _ranges(rows)
    if len(ranges) == 1:
        kernel(0, rows)
        return
    with cf.ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="watermark") as pool:
        for future in [pool.submit(kernel, a, b) for a, b in ranges]:
            future.result()


def siphash(k0: int, k1: int, values: U64) -> U64:
    """SipHash-2-4 of every 8-byte value (little-endian) under the 128-bit key ``k0 | k1 << 64``."""
    out = np.empty(values.size, dtype=np.uint64)
    values = np.ascontiguousarray(values, dtype=np.uint64)
    key0, key1 = np.uint64(k0), np.uint64(k1)
    _run(lambda a, b: _siphash_many(key0, key1, values[a:b], out[a:b]), values.size)
    return out


def select(anchors: U64, valid: B, sources: I64, salts: U64, fraction: int) -> list[tuple[I64, U64]]:
    """For each target (a row of ``sources`` / ``salts``, padded with -1): its selected rows (ascending)
    and their pair hashes (see ``_select_py``). ``fraction`` is γ: each pair selects about one cell in γ."""
    threshold = np.uint64(max(1, round(65536 / fraction)))
    targets, rows = sources.shape[0], anchors.shape[1]
    selected = np.empty((targets, rows), dtype=np.bool_)
    hashes = np.empty((targets, rows), dtype=np.uint64)
    order = np.ascontiguousarray(sources, dtype=np.int64)
    salt = np.ascontiguousarray(salts, dtype=np.uint64)
    _run(lambda a, b: _select(anchors[:, a:b], valid[:, a:b], order, salt, threshold, selected[:, a:b],
                              hashes[:, a:b]), rows)
    out = []
    for t in range(targets):
        picked = np.flatnonzero(selected[t]).astype(np.int64)
        out.append((picked, hashes[t][picked]))
    return out


def quantise(values: npt.NDArray[np.float64], q: float) -> tuple[I64, npt.NDArray[np.float64],
                                                                 npt.NDArray[np.float64], B]:
    """(coarse cell, sub-cell bit, conditioned offset, finite) of every value for step ``q``."""
    n = values.size
    coarse, bit, offset = np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.float64)
    finite = np.empty(n, np.bool_)
    values = np.ascontiguousarray(values, dtype=np.float64)
    _run(lambda a, b: _quantise(values[a:b], float(q), coarse[a:b], bit[a:b], offset[a:b], finite[a:b]), n)
    return coarse, bit, offset, finite


def ks_statistic(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """The two-sample Kolmogorov–Smirnov statistic (0 when either sample is empty)."""
    if not a.size or not b.size:
        return 0.0
    return float(_ks_sorted(np.sort(a), np.sort(b)))


def tally(positions: I64, estimates: npt.NDArray[np.int8], length: int) -> tuple[I64, I64]:
    """Votes per codeword position: (count of 1s, count of 0s); estimates of -1 are not counted."""
    ones = np.zeros(length, dtype=np.int64)
    zeros = np.zeros(length, dtype=np.int64)
    _votes(np.ascontiguousarray(positions, dtype=np.int64), np.ascontiguousarray(estimates), ones, zeros)
    return ones, zeros
