"""Numba kernels behind the watermark: cell selection from the keyed PRF of each (stable column, row),
categorical rewrites, vote tallies and KS distances, and the thread pools they run on.

Private to :mod:`synthguard.watermark`; the typed wrappers at the bottom are what the package calls. The
PRF itself (SipHash-2-4 + keyed mixer) is :mod:`._prf`; the numeric method's kernels are :mod:`._numeric`.
Hand-written because nothing vectorised exists for keyed per-cell selection (see :mod:`._prf`).

All arithmetic is ``uint64`` and wraps modulo 2**64; shift counts are ``uint64`` so numba never
promotes to float. Kernels release the GIL and run on small thread pools rather than with numba's
``parallel=True``, whose default thread pool must not be entered from several Python threads at once
(the HTTP server checks batches concurrently): per-column work as one task per column (``each``), the
anchors' hashing and selection (``anchor_select``) as row ranges walked in cache-sized blocks.

Where a first release's time went (1 M rows, 8 anchors, 7 marked columns; it must reach 5 M rows/s):
first-touch page faults of column-sized temporaries (a 64 MB anchor matrix, a dozen arrays per numeric
column), the "selects" branch mispredicted about once per row and target, SipHash of anchors that
repeat (numeric coarse cells: a few thousand distinct per million rows), and string rebuilding in
categorical marks. The kernels avoid each; their outputs are bit-identical to the plain forms
(``_select_py`` here, ``_quantise_py`` in :mod:`._numeric`), which the tests check.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from .._jit import jit
from ._prf import CACHE, _mix, _siphash_cached, _siphash_many

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

T = TypeVar("T")
R = TypeVar("R")



MIN_RANGE = 1 << 17  # rows per thread below which one thread is faster


def _jit(fn: Callable[..., Any]) -> Any:
    return jit(fn, error_model="numpy")


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


def _select_compact_py(anchors: Any, valid: Any, sources: Any, salts: Any, threshold: Any, base: Any,
                       rows_out: Any, hash_out: Any, counts: Any, picked: Any, kept: Any) -> None:
    """``_select_py`` over one block of rows (numbered from ``base``), appending target ``t``'s selected
    rows and pair hashes at ``rows_out[t, counts[t]]`` / ``hash_out[t, counts[t]]`` (which need one
    spare slot). About one row in four is selected, so compacting here spares writing and rescanning
    a full rows × targets mask.

    Branch-free on purpose: one pass per (target, source) pair over the block, where a row not yet
    picked takes the pair's hash if it selects; the compiler vectorises it, and the unpredictable
    "selects" branch (taken 1 time in γ) of a row-at-a-time loop cost more than the hashing.
    ``picked`` / ``kept`` are scratch rows the size of the block.
    """
    mask16 = np.uint64(0xFFFF)
    rows = anchors.shape[1]
    for t in range(sources.shape[0]):
        for r in range(rows):
            picked[r] = False
        for i in range(sources.shape[1]):
            s = sources[t, i]
            if s < 0:
                break
            salt = salts[t, i]
            for r in range(rows):
                h = _mix(anchors[s, r] ^ salt)
                hit = (not picked[r]) & valid[s, r] & ((h & mask16) < threshold)
                kept[r] = h if hit else kept[r]
                picked[r] = picked[r] | hit
        c = counts[t]
        for r in range(rows):
            rows_out[t, c] = base + r
            hash_out[t, c] = kept[r]
            c += picked[r]
        counts[t] = c


_select_compact = _jit(_select_compact_py)


def _split_py(hashes: Any, position_of: Any, positions: Any, masks: Any, choice: Any) -> None:
    """A selected cell's pair hash → codeword position (bits 16–31 mod L, looked up in ``position_of``:
    a 64-bit modulo per cell costs more than the rest), mask (bit 63), tie-break (bits 32–62)."""
    for i in range(hashes.size):
        h = hashes[i]
        positions[i] = position_of[(h >> np.uint64(16)) & np.uint64(0xFFFF)]
        masks[i] = np.uint8(h >> np.uint64(63))
        choice[i] = (h >> np.uint64(32)) & np.uint64(0x7FFFFFFF)


_split = _jit(_split_py)


def _rebuild_py(offsets: Any, data: Any, rows: Any, members: Any, member_offsets: Any, member_data: Any,
                out_offsets: Any, out_data: Any) -> None:
    """A string column's bytes with the cells at ``rows`` (ascending) replaced by member strings: Arrow
    offsets and data written run by run — the unchanged rows between two replaced cells are one block
    copy and one shifted range of offsets (``take`` / ``replace_with_mask`` build the column generically,
    several times slower on short strings)."""
    delta = -offsets[0]
    start = 0
    for j in range(rows.size):
        r = rows[j]
        for i in range(start, r):
            out_offsets[i] = offsets[i] + delta
        a, b = offsets[start], offsets[r]
        out_data[a + delta:b + delta] = data[a:b]
        out_offsets[r] = b + delta
        m = members[j]
        length = member_offsets[m + 1] - member_offsets[m]
        out_data[b + delta:b + delta + length] = member_data[member_offsets[m]:member_offsets[m + 1]]
        delta += length - (offsets[r + 1] - offsets[r])
        start = r + 1
    n = offsets.size - 1
    for i in range(start, n + 1):
        out_offsets[i] = offsets[i] + delta
    out_data[offsets[start] + delta:offsets[n] + delta] = data[offsets[start]:offsets[n]]


_rebuild = _jit(_rebuild_py)


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


def run_ranges(kernel: Callable[[int, int], None], rows: int) -> None:
    """``kernel(start, stop)`` over row ranges, on threads when there are enough rows."""
    ranges = _ranges(rows)
    if len(ranges) == 1:
        kernel(0, rows)
        return
    with cf.ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="watermark") as pool:
        for future in [pool.submit(kernel, a, b) for a, b in ranges]:
            future.result()


def _run_all(kernels: Sequence[Callable[[], None]]) -> None:
    """Run independent GIL-releasing kernels, on threads when there are several."""
    if len(kernels) == 1:
        kernels[0]()
        return
    with cf.ThreadPoolExecutor(max_workers=len(kernels), thread_name_prefix="watermark") as pool:
        for future in [pool.submit(kernel) for kernel in kernels]:
            future.result()


def each(fn: Callable[[T], R], items: Sequence[T], rows: int) -> list[R]:
    """``[fn(item) for item in items]``, on one thread per core when the table has enough rows.

    For per-column work (a column's digests, a method's ``prepare`` / ``apply``): numba kernels, numpy
    and Arrow compute release the GIL, so whole columns proceed side by side — fewer, larger tasks
    than splitting every column into row ranges.
    """
    workers = min(os.cpu_count() or 1, 8, len(items))
    if workers < 2 or rows < MIN_RANGE:
        return [fn(item) for item in items]
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="watermark") as pool:
        return list(pool.map(fn, items))


def siphash(k0: int, k1: int, values: U64) -> U64:
    """SipHash-2-4 of every 8-byte value (little-endian) under the 128-bit key ``k0 | k1 << 64``."""
    out = np.empty(values.size, dtype=np.uint64)
    values = np.ascontiguousarray(values, dtype=np.uint64)
    key0, key1 = np.uint64(k0), np.uint64(k1)
    run_ranges(lambda a, b: _siphash_many(key0, key1, values[a:b], out[a:b]), values.size)
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
    run_ranges(lambda a, b: _select(anchors[:, a:b], valid[:, a:b], order, salt, threshold, selected[:, a:b],
                              hashes[:, a:b]), rows)
    out = []
    for t in range(targets):
        picked = np.flatnonzero(selected[t]).astype(np.int64)
        out.append((picked, hashes[t][picked]))
    return out


BLOCK = 1 << 15  # rows per block in ``anchor_select``: the block's anchors (8 B × sources) stay in L2


def anchor_select(digests: Sequence[U64], valid: Sequence[B], keys: Sequence[tuple[int, int]], sources: I64,
                  salts: U64, fraction: int) -> list[tuple[I64, U64]]:
    """``select`` of the anchors ``siphash(*keys[s], digests[s])``, without materialising them: the same
    result as ``select(np.stack([siphash(*keys[s], digests[s]) ...]), np.stack(valid), ...)``.

    Each thread takes a range of rows and walks it in blocks: hash the block's anchors into a small
    reused buffer, select, append compacted output. A full sources × rows anchor matrix (64 MB at 1 M
    rows and 8 sources) costs more in first-touch page faults than the hashing itself.
    """
    threshold = np.uint64(max(1, round(65536 / fraction)))
    targets, count = sources.shape[0], len(digests)
    rows = digests[0].size if count else 0
    if not count or not rows or not targets:
        return [(np.empty(0, np.int64), np.empty(0, np.uint64)) for _ in range(targets)]
    data = [np.ascontiguousarray(d, dtype=np.uint64) for d in digests]
    ok = [np.ascontiguousarray(v, dtype=np.bool_) for v in valid]
    key = [(np.uint64(k0), np.uint64(k1)) for k0, k1 in keys]
    order = np.ascontiguousarray(sources, dtype=np.int64)
    salt = np.ascontiguousarray(salts, dtype=np.uint64)
    parts = _ranges(rows)
    # Output space for the expected selections plus a margin, grown when a block might not fit: sized
    # for every row it would be mostly untouched, but fresh pages still cost on first touch.
    widths = np.count_nonzero(order >= 0, axis=1)
    share = float(np.max(1.0 - (1.0 - float(threshold) / 65536.0) ** widths))
    outs: list[list[Any]] = [[np.empty((targets, int((b - a) * share * 1.05) + BLOCK + 1), np.int64), None,
                              np.zeros(targets, np.int64)] for a, b in parts]

    def work(start: int, stop: int, out: list[Any]) -> None:
        out[1] = np.empty(out[0].shape, np.uint64)
        anchors = np.empty((count, min(BLOCK, stop - start)), np.uint64)
        flags = np.empty((count, anchors.shape[1]), np.bool_)
        picked, kept = np.empty(anchors.shape[1], np.bool_), np.empty(anchors.shape[1], np.uint64)
        seen = np.tile(np.arange(1, CACHE + 1, dtype=np.uint64), (count, 1))
        cached = np.empty((count, CACHE), np.uint64)
        for a in range(start, stop, BLOCK):
            b = min(a + BLOCK, stop)
            if int(out[2].max()) + (b - a) + 1 > out[0].shape[1]:
                out[0], out[1] = (np.concatenate([x, np.empty_like(x)], axis=1) for x in out[:2])
            for s in range(count):
                _siphash_cached(key[s][0], key[s][1], data[s][a:b], anchors[s, :b - a], seen[s], cached[s])
                flags[s, :b - a] = ok[s][a:b]
            _select_compact(anchors[:, :b - a], flags[:, :b - a], order, salt, threshold, np.int64(a),
                            out[0], out[1], out[2], picked[:b - a], kept[:b - a])

    _run_all([functools.partial(work, a, b, o) for (a, b), o in zip(parts, outs, strict=True)])
    # One buffer for all targets' rows and one for their hashes (each target gets a view): a few large
    # allocations instead of two per target.
    total = int(sum(int(o[2].sum()) for o in outs))
    all_rows, all_hashes = np.empty(total, np.int64), np.empty(total, np.uint64)
    result, at = [], 0
    for t in range(targets):
        begin = at
        for o in outs:
            n = int(o[2][t])
            all_rows[at:at + n] = o[0][t, :n]
            all_hashes[at:at + n] = o[1][t, :n]
            at += n
        result.append((all_rows[begin:at], all_hashes[begin:at]))
    return result


def split_hashes(hashes: U64, length: int) -> tuple[I64, npt.NDArray[np.uint8], U64]:
    """(codeword positions, mask bits, tie-breaks) of selected cells from their pair hashes (one pass)."""
    n = hashes.size
    positions, masks, choice = np.empty(n, np.int64), np.empty(n, np.uint8), np.empty(n, np.uint64)
    position_of = np.arange(1 << 16, dtype=np.int64) % length
    _split(np.ascontiguousarray(hashes, dtype=np.uint64), position_of, positions, masks, choice)
    return positions, masks, choice


def replace_strings(text: pa.Array, rows: I64, members: I64, strings: pa.Array) -> pa.Array | None:
    """``text`` (a ``string`` array) with cell ``rows[j]`` (ascending, non-null) replaced by
    ``strings[members[j]]``; ``None`` when the layout does not allow the fast path (sliced array,
    no data buffer, a result over 2 GB)."""
    validity, offsets_buffer, data_buffer = text.buffers()
    _, member_offsets_buffer, member_data_buffer = strings.buffers()
    if text.type != pa.string() or text.offset or strings.offset or data_buffer is None \
            or member_data_buffer is None or strings.null_count:
        return None
    n = len(text)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=n + 1)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    member_offsets = np.frombuffer(member_offsets_buffer, dtype=np.int32, count=len(strings) + 1)
    member_data = np.frombuffer(member_data_buffer, dtype=np.uint8)
    total = int(offsets[n]) - int(offsets[0]) - int((offsets[rows + 1] - offsets[rows]).sum()) \
        + int((member_offsets[members + 1] - member_offsets[members]).sum())
    if total >= 2**31:
        return None
    out_offsets, out_data = np.empty(n + 1, np.int32), np.empty(total, np.uint8)
    _rebuild(offsets, data, np.ascontiguousarray(rows, np.int64), np.ascontiguousarray(members, np.int64),
             member_offsets, member_data, out_offsets, out_data)
    return pa.Array.from_buffers(pa.string(), n, [validity, pa.py_buffer(out_offsets), pa.py_buffer(out_data)],
                                 null_count=text.null_count)


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
