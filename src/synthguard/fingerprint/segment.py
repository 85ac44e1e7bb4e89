"""Segment files of the fingerprint index: one immutable, memory-mapped, bucketed set of fp-v1 values.

:func:`build_segment` writes one; :class:`Segment` maps one read-only and probes it. The index of
segments per dataset version is :mod:`synthguard.fingerprint.index`.

Segment layouts
---------------
A segment is a bucketed sorted set: the top ``bucket_bits`` bits of a fingerprint select a bucket in a
directory of cumulative offsets, and each bucket holds its *keys* sorted ascending, without duplicates.
Two layouts share one file format:

* **compact** (DESIGN.md's layout): 24 bucket bits, key = the next 32 bits (bits 8..39). A segment of
  ``n`` fingerprints takes ``4 n + 64 MiB`` (4.67 B per fingerprint at 100 M). A non-member is reported
  only if it shares its top 56 bits with a member: false-positive rate per probe ≈ ``n / 2**56``
  (1.4e-9 at 100 M, i.e. (n / 2**24) / 2**32).
* **full**: key = the whole 64-bit value, ``bucket_bits = clamp(bit_length(n) - 3, 1, 24)`` (4 to 8
  keys, at most one cache line, per bucket). Exact: no false positives. ``8 n`` bytes plus a directory of
  at most ``n`` bytes.

``exact=True`` always uses the full layout. Otherwise (``layout="auto"``) the smaller file wins: a fixed
64 MiB directory would dominate small segments (a 10 k-row version would cost 6.7 kB per fingerprint and
fifty of them 3.2 GB), so segments below about 15 M fingerprints are stored full (and are therefore
exact at no extra cost) and larger ones compact.

A **merged** segment (built by :meth:`FingerprintIndex.compact`) also stores, per entry, a 2-byte
*owner*: the index of the key, in the manifest's list for that file, whose version holds the
fingerprint. Entries are distinct (key, owner) pairs, sorted by key then owner, so a probe finds the key
once and reads the owners of the equal run. A merged compact segment takes 6 B per entry plus the
directory (6.67 B at 100 M).

File format, version 1 (all integers little-endian)
---------------------------------------------------
====== ===== ====================================================================================
offset bytes field
====== ===== ====================================================================================
0      8     magic ``b"SGFPIDX1"``
8      2     format version (1); another version is refused
10     2     flags: bit 0 = built in exact mode, bit 1 = entries carry owners; other bits 0
12     1     ``bucket_bits`` (1..24; 24 in the compact layout)
13     1     key width in bytes: 4 (compact) or 8 (full)
14     1     directory entry width in bytes: 4, or 8 when the segment has 2**32 or more entries
15     1     owner width in bytes: 2 with flag bit 1, else 0
16     8     ``count``: number of entries
24     8     ``data_offset``: byte offset of the keys = 64 + directory size, rounded up to 64
32     32    checksum: SHA-256 of (bytes 0..31 of this header ‖ SHA-256 of each consecutive 16 MiB chunk of
             the file from offset 64 to its end), so that two threads can hash a large file
64     ...   directory: ``2**bucket_bits + 1`` unsigned cumulative offsets; bucket ``b`` holds entries
             ``dir[b]`` to ``dir[b+1]`` (exclusive); ``dir[0] = 0``, ``dir[-1] = count``
(pad)        zero bytes up to ``data_offset``
data   ...   ``count`` unsigned keys (4 or 8 bytes each), sorted within each bucket
(then) ...   with owners: ``count`` uint16 owners, entry for entry; the file ends here
====== ===== ====================================================================================

A segment file is written to a hidden temporary file next to its final name (built in place through a
shared mapping, then truncated to its final size), fsynced, and renamed into place, then the directory
is fsynced: no partial segment is ever visible under a segment's name. Opening checks the header, the
exact file size and the directory's monotonicity (what keeps the probe kernel inside the file) —
``verify="quick"``, about 30 ms per 100 M fingerprints — or also the checksum, ``verify="full"`` (about
0.4 s per 100 M on two cores). A bad file raises :class:`~synthguard.errors.InputError` naming it.

Why this is hand-written
------------------------
No maintained library offers a compact, bucketed, memory-mapped sorted set of 64-bit values that can
also say *which* of many sets holds a value. Considered: Bloom filters (``rbloom``,
``pybloomfiltermmap3``: at a 1e-9 false-positive rate a Bloom filter needs 43 bits per key and ~30
random reads per probe), xor and binary-fuse filters (``pyxorfilter``, ``pyfusefilter``: 8- or 16-bit
fingerprints only, i.e. 0.4 % or 0.0015 % false positives, built in memory and (de)serialised, not
mapped). A filter answers "maybe present" but cannot name the matching version, and none of these can
delete a set's keys, so retiring a version would mean rebuilding the whole filter. ``numpy.searchsorted``
on one sorted uint64 array is exact but takes 8 B per fingerprint, ~27 dependent random reads per probe
at 100 M (0.4 M probes/s measured), a full re-sort per version, and names no version either.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import mmap
import os
import struct
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from . import _index_kernels as kernels

__all__ = [
    "COMPACT_BUCKET_BITS",
    "FORMAT_VERSION",
    "MAGIC",
    "Layout",
    "Memory",
    "Segment",
    "SegmentInfo",
    "Verify",
    "build_segment",
]

_log = logging.getLogger(__name__)

MAGIC = b"SGFPIDX1"
FORMAT_VERSION = 1
COMPACT_BUCKET_BITS = 24
MAX_BUCKET_BITS = 24
FLAG_EXACT = 1
FLAG_OWNERS = 2

Layout = Literal["auto", "compact", "full"]
Verify = Literal["quick", "full"]
Memory = Literal["map", "load"]

_HEADER = struct.Struct("<8sHHBBBBQQ32s")
_HEADER_SIZE = 64
_DIGEST_AT = 32
_ALIGN = 64
_CHUNK = 16 << 20
TEMP_SUFFIX = ".tmp"

U64Array = npt.NDArray[np.uint64]
I32Array = npt.NDArray[np.int32]
I64Array = npt.NDArray[np.int64]
U16Array = npt.NDArray[np.uint16]
BoolArray = npt.NDArray[np.bool_]

assert _HEADER.size == _HEADER_SIZE


# ---- layout planning


@dataclass(frozen=True)
class _Plan:
    layout: Literal["compact", "full"]
    bucket_bits: int
    key_bytes: int
    dir_bytes: int
    owner_bytes: int = 0

    @property
    def data_offset(self) -> int:
        return _round_up(_HEADER_SIZE + ((1 << self.bucket_bits) + 1) * self.dir_bytes, _ALIGN)

    @property
    def dir_dtype(self) -> type[np.unsignedinteger[Any]]:
        return np.uint32 if self.dir_bytes == 4 else np.uint64

    @property
    def key_dtype(self) -> type[np.unsignedinteger[Any]]:
        return np.uint32 if self.key_bytes == 4 else np.uint64

    def owners_offset(self, count: int) -> int:
        return self.data_offset + count * self.key_bytes

    def size(self, count: int) -> int:
        return self.data_offset + count * (self.key_bytes + self.owner_bytes)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _make_plan(layout: Literal["compact", "full"], count: int, owned: bool) -> _Plan:
    bucket_bits = COMPACT_BUCKET_BITS if layout == "compact" else _full_bucket_bits(count)
    return _Plan(layout, bucket_bits, 4 if layout == "compact" else 8, 4 if count < 1 << 32 else 8, 2 if owned else 0)


def _full_bucket_bits(count: int) -> int:
    return max(1, min(MAX_BUCKET_BITS, count.bit_length() - 3))


def plan_for(count: int, exact: bool, layout: Layout, *, owned: bool = False) -> _Plan:
    if layout not in ("auto", "compact", "full"):
        raise InputError(f"unknown segment layout {layout!r}: one of auto, compact, full", field="layout")
    if exact and layout == "compact":
        raise InputError("exact mode needs the full layout (the compact layout keeps 56 bits)", field="layout")
    full = _make_plan("full", count, owned)
    compact = _make_plan("compact", count, owned)
    if exact or layout == "full":
        return full
    if layout == "compact":
        return compact
    return compact if compact.size(count) < full.size(count) else full


# ---- public value types


@dataclass(frozen=True)
class SegmentInfo:
    """What a segment file holds and costs.

    ``count`` is the number of entries (distinct fingerprints; in a merged, ``owned`` segment distinct
    (fingerprint, key) pairs). ``keys`` are the index keys it serves (empty outside an index);
    ``input_count`` and ``seconds`` are known only right after a build.
    """

    path: Path
    count: int
    exact: bool
    layout: Literal["compact", "full"]
    bucket_bits: int
    nbytes: int
    sha256: str
    owned: bool = False
    keys: tuple[str, ...] = ()
    input_count: int | None = None
    seconds: float | None = None

    @property
    def bytes_per_fingerprint(self) -> float:
        """File bytes per stored fingerprint (the whole file for an empty segment)."""
        return self.nbytes / max(self.count, 1)

    @property
    def false_positive_rate(self) -> float:
        """Chance that a random non-member probes as present: ``count / 2**56`` compact, 0 full."""
        return self.count / 2.0**56 if self.layout == "compact" else 0.0


def as_fingerprints(values: npt.ArrayLike) -> U64Array:
    """A contiguous 1-D uint64 view of ``values`` (int64, e.g. Spark's signed ``xxhash64``, is reinterpreted)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(f"fingerprints must be a 1-D array, got {array.ndim} dimensions", field="fingerprints")
    if array.size == 0:
        return np.zeros(0, np.uint64)
    if array.dtype.kind not in "iu" or array.dtype.itemsize != 8:
        raise InputError(f"fingerprints must be uint64 (or int64), got {array.dtype}", field="fingerprints")
    native = array.astype(array.dtype.newbyteorder("="), copy=False)
    return np.ascontiguousarray(native).view(np.uint64)


# ---- checksum


def _digest(header_prefix: bytes, body: memoryview) -> bytes:
    """SHA-256 of ``header_prefix`` ‖ the SHA-256 of each 16 MiB chunk of ``body``, chunks hashed on threads."""
    chunks = [body[i:i + _CHUNK] for i in range(0, len(body), _CHUNK)]

    def one(chunk: memoryview) -> bytes:
        return hashlib.sha256(chunk).digest()

    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1)) as pool:
            parts = list(pool.map(one, chunks))
    else:
        parts = [one(c) for c in chunks]
    outer = hashlib.sha256(header_prefix)
    for part in parts:
        outer.update(part)
    for chunk in chunks:
        chunk.release()
    return outer.digest()


# ---- building


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")


def _fill(mm: mmap.mmap, fps: U64Array, plan: _Plan, owner_bounds: I64Array | None) -> int:
    """Build the directory, keys and owners into the mapped file; returns the number of entries."""
    directory = np.frombuffer(mm, plan.dir_dtype, (1 << plan.bucket_bits) + 1, _HEADER_SIZE)
    if fps.size == 0:
        directory[:] = 0
        return 0
    keys = np.frombuffer(mm, plan.key_dtype, fps.size, plan.data_offset)
    owners = None if owner_bounds is None else np.empty(fps.size, np.uint16)
    try:
        count = kernels.build_keys(fps, plan.bucket_bits, plan.key_bytes * 8, directory, keys, owner_bounds, owners)
        if owners is not None:
            np.frombuffer(mm, np.uint16, count, plan.owners_offset(count))[:] = owners[:count]
        return count
    finally:
        del directory, keys, owners


def _write_segment(handle: IO[bytes], fps: U64Array, plan: _Plan, exact: bool,
                   owner_bounds: I64Array | None) -> tuple[int, bytes]:
    """Fill the open temporary file; returns (count, checksum). The file is fsynced when this returns."""
    handle.truncate(plan.size(fps.size))
    mm = mmap.mmap(handle.fileno(), plan.size(fps.size))
    try:
        count = _fill(mm, fps, plan, owner_bounds)
        size = plan.size(count)
        flags = (FLAG_EXACT if exact else 0) | (FLAG_OWNERS if plan.owner_bytes else 0)
        header = _HEADER.pack(MAGIC, FORMAT_VERSION, flags, plan.bucket_bits, plan.key_bytes, plan.dir_bytes,
                              plan.owner_bytes, count, plan.data_offset, bytes(32))
        mm[:_HEADER_SIZE] = header
        with memoryview(mm) as view:
            digest = _digest(header[:_DIGEST_AT], view[_HEADER_SIZE:size])
        mm[_DIGEST_AT:_HEADER_SIZE] = digest
        mm.flush()
    finally:
        try:
            mm.close()
        except BufferError:  # only while an exception is propagating: its traceback still holds array views
            _log.debug("deferring the unmap of a failed segment build to the garbage collector")
    handle.truncate(size)
    handle.flush()
    os.fsync(handle.fileno())
    return count, digest


def build_file(fps: U64Array, target: Path, plan: _Plan, exact: bool,
               owner_bounds: I64Array | None = None) -> SegmentInfo:
    started = time.perf_counter()
    temp = temp_name(target)
    try:
        with open(temp, "x+b") as handle:
            count, digest = _write_segment(handle, fps, plan, exact, owner_bounds)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_dir(target.parent)
    seconds = time.perf_counter() - started
    _log.debug("built %s: %d fingerprints (%d entries, %s layout) in %.3f s", target, fps.size, count, plan.layout,
               seconds)
    return SegmentInfo(target, count, exact, plan.layout, plan.bucket_bits, plan.size(count), digest.hex(),
                       owned=bool(plan.owner_bytes), input_count=int(fps.size), seconds=seconds)


def build_segment(fingerprints: npt.ArrayLike, path: str | os.PathLike[str], *, exact: bool = False,
                  layout: Layout = "auto") -> SegmentInfo:
    """Write the set of ``fingerprints`` (uint64; duplicates allowed) as a segment file at ``path``.

    ``exact=True`` keeps all 64 bits (no false positives). ``layout`` forces the compact or full layout
    (module docstring); ``"auto"`` picks the smaller file. The file appears atomically, replacing any
    file of that name. Extra memory beyond the output file's pages: 2 bytes per fingerprint plus a few
    MiB.
    """
    fps = as_fingerprints(fingerprints)
    return build_file(fps, Path(path), plan_for(fps.size, exact, layout), exact)


# ---- reading


def _corrupt(path: Path, message: str) -> InputError:
    return InputError(f"not a usable fingerprint segment: {message}", path=str(path))


def _parse_header(path: Path, raw: bytes, size: int) -> tuple[_Plan, int, int, bytes]:
    """Validate the header against the file size; returns (plan, flags, count, digest)."""
    if len(raw) < _HEADER_SIZE:
        raise _corrupt(path, f"truncated ({size} bytes, the header alone is {_HEADER_SIZE})")
    magic, version, flags, bucket_bits, key_bytes, dir_bytes, owner_bytes, count, data_offset, digest = (
        _HEADER.unpack(raw[:_HEADER_SIZE]))
    if magic != MAGIC:
        raise _corrupt(path, "bad magic (not a SynthGuard fingerprint segment)")
    if version != FORMAT_VERSION:
        raise _corrupt(path, f"format version {version}; this SynthGuard reads version {FORMAT_VERSION}")
    if key_bytes not in (4, 8) or dir_bytes not in (4, 8) or not 1 <= bucket_bits <= MAX_BUCKET_BITS:
        raise _corrupt(path, "corrupt header (bad key, directory or bucket width)")
    if key_bytes == 4 and bucket_bits != COMPACT_BUCKET_BITS:
        raise _corrupt(path, "corrupt header (the compact layout has 24 bucket bits)")
    if owner_bytes != (2 if flags & FLAG_OWNERS else 0) or flags & ~(FLAG_EXACT | FLAG_OWNERS) or (
            flags & FLAG_EXACT and key_bytes == 4):
        raise _corrupt(path, "corrupt header (bad flags)")
    if dir_bytes == 4 and count >= 1 << 32:
        raise _corrupt(path, "corrupt header (directory width too small for the count)")
    plan = _Plan("compact" if key_bytes == 4 else "full", bucket_bits, key_bytes, dir_bytes, owner_bytes)
    if data_offset != plan.data_offset:
        raise _corrupt(path, "corrupt header (data offset does not match the directory size)")
    if size != plan.size(count):
        raise _corrupt(path, f"truncated or corrupt ({size} bytes, the header says {plan.size(count)})")
    return plan, flags, count, digest


_ALL_LIVE = np.zeros(1 << 16, np.int32)  # positions for Segment.contains: every owner at position 0


def _load(handle: io.BufferedReader, size: int) -> npt.NDArray[np.uint8]:
    """The whole file in anonymous memory (numpy advises huge pages for large arrays)."""
    buffer = np.empty(size, np.uint8)
    handle.seek(0)
    with buffer.data as view:
        done = 0
        while done < size:
            got = handle.readinto(view[done:])
            if not got:
                raise OSError(f"file shrank while reading ({done} of {size} bytes)")
            done += got
    return buffer


class Segment:
    """One segment file, memory-mapped read-only (or loaded). Use :meth:`open`; close it (or ``with``) when done.

    ``memory="map"`` (default) maps the file: the page cache is shared by every process and nothing is
    read up front. ``memory="load"`` copies it into private, huge-page-backed memory: about 1.25x the probe
    rate on a large segment (fewer TLB misses: 25 vs 20 M probes/s on one core at 100 M) for the file's
    size in RAM per process and a read at open (0.2 s per 100 M from the page cache).
    """

    def __init__(self, path: Path, buffer: mmap.mmap | npt.NDArray[np.uint8], plan: _Plan, flags: int, count: int,
                 digest: bytes) -> None:
        self.path = path
        self._buffer: mmap.mmap | npt.NDArray[np.uint8] | None = buffer
        self._plan = plan
        self.exact = bool(flags & FLAG_EXACT)
        self.count = count
        self.sha256 = digest.hex()
        directory = np.frombuffer(buffer, plan.dir_dtype, (1 << plan.bucket_bits) + 1, _HEADER_SIZE)
        keys: npt.NDArray[Any] = np.zeros(0, plan.key_dtype)
        owners: U16Array = np.zeros(0, np.uint16)
        if count:
            keys = np.frombuffer(buffer, plan.key_dtype, count, plan.data_offset)
            if plan.owner_bytes:
                owners = np.frombuffer(buffer, np.uint16, count, plan.owners_offset(count))
        # One attribute, swapped atomically by close(), so a probe on another thread never sees a mix.
        self._arrays: tuple[npt.NDArray[Any], npt.NDArray[Any], U16Array] | None = (directory, keys, owners)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: Verify = "quick", memory: Memory = "map") -> Segment:
        """Open the segment at ``path``; a truncated, corrupt or foreign file raises InputError naming it.

        ``verify="quick"`` checks the header, the size and the directory; ``"full"`` also the checksum.
        ``memory``: see the class. A missing file raises FileNotFoundError.
        """
        where = Path(path)
        buffer: mmap.mmap | npt.NDArray[np.uint8]
        try:
            with open(where, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                plan, flags, count, digest = _parse_header(where, handle.read(_HEADER_SIZE), size)
                if memory == "load":
                    buffer = _load(handle, size)
                else:
                    buffer = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise InputError(f"cannot read fingerprint segment: {exc.strerror or exc}", path=str(where)) from exc
        segment = cls(where, buffer, plan, flags, count, digest)
        try:
            segment._verify(verify)
        except BaseException:
            segment.close()
            raise
        return segment

    def _verify(self, verify: Verify) -> None:
        bad = kernels.check_directory(self._open_arrays()[0], self.count)
        if bad >= 0:
            raise _corrupt(self.path, f"corrupt directory (bucket {bad})")
        if verify == "full":
            assert self._buffer is not None
            with self._buffer.data if isinstance(self._buffer, np.ndarray) else memoryview(self._buffer) as view:
                actual = _digest(bytes(view[:_DIGEST_AT]), view[_HEADER_SIZE:])
            if actual.hex() != self.sha256:
                raise _corrupt(self.path, "checksum mismatch (the file is corrupt)")

    @property
    def layout(self) -> Literal["compact", "full"]:
        return self._plan.layout

    @property
    def bucket_bits(self) -> int:
        return self._plan.bucket_bits

    @property
    def owned(self) -> bool:
        """Whether entries carry an owner (a merged segment holding several keys' fingerprints)."""
        return bool(self._plan.owner_bytes)

    @property
    def nbytes(self) -> int:
        """Size of the file in bytes."""
        return self._plan.size(self.count)

    @property
    def bytes_per_fingerprint(self) -> float:
        """File bytes per stored entry (the whole file for an empty segment)."""
        return self.info.bytes_per_fingerprint

    @property
    def info(self) -> SegmentInfo:
        return SegmentInfo(self.path, self.count, self.exact, self.layout, self.bucket_bits, self.nbytes, self.sha256,
                           owned=self.owned)

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"Segment({str(self.path)!r}, count={self.count}, layout={self.layout!r}, exact={self.exact})"

    def fingerprints(self) -> tuple[U64Array, U16Array | None]:
        """The stored fingerprints (compact layout: low 8 bits zero) and, for a merged segment, their owners."""
        directory, keys, owners = self._open_arrays()
        fps = kernels.expand(directory, keys, self.bucket_bits, self._plan.key_bytes * 8)
        return fps, (np.array(owners) if self.owned else None)

    def _open_arrays(self) -> tuple[npt.NDArray[Any], npt.NDArray[Any], U16Array]:
        arrays = self._arrays
        if arrays is None:
            raise InputError("fingerprint segment is closed", path=str(self.path))
        return arrays

    def probe_into(self, fps: U64Array, out: I32Array, positions: I32Array, floor: int) -> int:
        """Lower ``out[i]`` to this segment's position for ``fps[i]`` where it holds it; returns the changes.

        ``positions[0]`` is the position of a plain segment; a merged segment's entry has position
        ``positions[owner]`` (-1: retired). ``floor`` is the smallest position (probes already resolved at or
        below it are skipped). ``fps`` contiguous uint64, ``out`` contiguous int32 of the same length.
        """
        directory, keys, owners = self._open_arrays()
        if self.count == 0 or fps.size == 0:
            return 0
        return kernels.probe_into(directory, keys, owners, positions, floor, self._plan.bucket_bits,
                                  self._plan.key_bytes * 8, fps, out)

    def contains(self, fingerprints: npt.ArrayLike) -> BoolArray:
        """For each fingerprint, whether this segment holds it (see the layout for false positives)."""
        fps = as_fingerprints(fingerprints)
        out = np.full(fps.size, -1, np.int32)
        self.probe_into(fps, out, _ALL_LIVE, 0)
        return out >= 0

    def close(self) -> None:
        """Unmap (or free) the file. Idempotent."""
        if self._buffer is None:
            return
        self._arrays = None
        buffer, self._buffer = self._buffer, None
        if isinstance(buffer, mmap.mmap):
            try:
                buffer.close()
            except BufferError:  # a probe on another thread still uses it: the garbage collector unmaps it
                _log.debug("segment %s still has exported views; leaving it mapped", self.path)

    def __enter__(self) -> Segment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- the index directory
