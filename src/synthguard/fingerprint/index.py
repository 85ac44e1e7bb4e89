"""The fingerprint index: memory-mapped membership sets of fp-v1 row fingerprints, one segment per version.

The gate asks, for every incoming row, "is this fp-v1 value one of the registered synthetic rows, and of
which dataset version?". This module answers that at ingest speed from files on disk:

* :func:`build_segment` writes one immutable **segment** file holding a set of 64-bit fingerprints;
* :class:`Segment` memory-maps one (read-only) and probes it;
* :class:`FingerprintIndex` is a directory of segments tagged with keys (dataset version ids) and a
  manifest, ``index.json``. Adding a version builds one new segment and touches no other; retiring a
  version removes its fingerprints. :meth:`FingerprintIndex.probe` gives, for each fingerprint, the
  position (in :meth:`~FingerprintIndex.keys`, insertion order) of the oldest live key holding it, or -1.
  :meth:`FingerprintIndex.compact` merges segments so that a probe costs one lookup per file however
  many versions there are; :meth:`~FingerprintIndex.add` compacts by itself (tiered) once the index has
  more than ``max_segments`` files (2 by default). A probe costs a memory round trip per file: on the
  2-core reference machine, 100 M fingerprints as 50 uncompacted versions probe at 0.3-0.5 M probes/s, as
  one compacted file at 18-19 M probes/s (one thread).

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

The index directory
-------------------
``index.json`` holds ``{"format": "synthguard-fingerprint-index", "version": 1, "next_seq": N,
"segments": [{"file", "keys": [{"key", "seq", "retired"}], "count", "exact", "layout", "bucket_bits",
"bytes", "sha256"}]}``: each file with the keys it serves (a plain segment one, a merged segment one per owner),
each key with its insertion sequence number (which orders :meth:`~FingerprintIndex.keys`). It is
replaced atomically (temporary file, fsync, rename). Writers (add, retire, compact) take an exclusive
``flock`` on ``.lock`` and re-read the manifest under it; readers take no lock and use the snapshot they
last read (:meth:`FingerprintIndex.refresh` re-reads it; a probe re-reads it by itself if a listed file
has gone). Retiring a plain segment's key rewrites the manifest, then renames the file to ``*.retired``
and deletes it (a reader that has it mapped keeps working); retiring a key of a merged segment marks it
retired, which stops its entries matching at once, and the next compaction drops them. Under the lock a
writer first deletes the leftovers of killed writers: temporary files, ``*.retired`` files and segment
files the manifest does not list.

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
import dataclasses
import fcntl
import hashlib
import io
import json
import logging
import mmap
import os
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import InputError, NotFoundError
from . import _index_kernels as kernels

__all__ = [
    "COMPACT_BUCKET_BITS",
    "DEFAULT_MAX_SEGMENTS",
    "FORMAT_VERSION",
    "MAGIC",
    "FingerprintIndex",
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
DEFAULT_MAX_SEGMENTS = 2
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
_TEMP_SUFFIX = ".tmp"
_RETIRED_SUFFIX = ".retired"
_SEGMENT_SUFFIX = ".sgfp"
_MANIFEST = "index.json"
_LOCK = ".lock"
_MANIFEST_FORMAT = "synthguard-fingerprint-index"
_MANIFEST_VERSION = 1
_PROBE_BLOCK = 1 << 16
_OPEN_ATTEMPTS = 3
_MAX_KEY_LENGTH = 256
_MAX_OWNERS = 65535
_PLAIN_PREFIX = "seg-"
_MERGED_PREFIX = "merged-"

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


def _plan(count: int, exact: bool, layout: Layout, *, owned: bool = False) -> _Plan:
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


def _as_fingerprints(values: npt.ArrayLike) -> U64Array:
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


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{_TEMP_SUFFIX}")


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


def _build(fps: U64Array, target: Path, plan: _Plan, exact: bool, owner_bounds: I64Array | None = None) -> SegmentInfo:
    started = time.perf_counter()
    temp = _temp_name(target)
    try:
        with open(temp, "x+b") as handle:
            count, digest = _write_segment(handle, fps, plan, exact, owner_bounds)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    _fsync_dir(target.parent)
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
    fps = _as_fingerprints(fingerprints)
    return _build(fps, Path(path), _plan(fps.size, exact, layout), exact)


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
        fps = _as_fingerprints(fingerprints)
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


@dataclass(frozen=True)
class _Key:
    key: str
    seq: int
    retired: bool = False


@dataclass(frozen=True)
class _Entry:
    file: str
    keys: tuple[_Key, ...]  # a plain segment has one; a merged segment's owner o is keys[o]
    count: int
    exact: bool
    layout: Literal["compact", "full"]
    bucket_bits: int
    nbytes: int
    sha256: str

    @property
    def live(self) -> list[_Key]:
        return [k for k in self.keys if not k.retired]

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "keys": [{"key": k.key, "seq": k.seq, "retired": k.retired} for k in self.keys],
                "count": self.count, "exact": self.exact, "layout": self.layout, "bucket_bits": self.bucket_bits,
                "bytes": self.nbytes, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: Any) -> _Entry:
        layout = data["layout"]
        if layout not in ("compact", "full"):
            raise ValueError(f"unknown layout {layout!r}")
        file = str(data["file"])
        if "/" in file or file.startswith(".") or not file.endswith(_SEGMENT_SUFFIX):
            raise ValueError(f"bad segment file name {file!r}")
        keys = tuple(_Key(str(k["key"]), int(k["seq"]), bool(k["retired"])) for k in data["keys"])
        if not keys or len(keys) > _MAX_OWNERS:
            raise ValueError(f"segment {file} lists {len(keys)} keys")
        return cls(file, keys, int(data["count"]), bool(data["exact"]), layout, int(data["bucket_bits"]),
                   int(data["bytes"]), str(data["sha256"]))


@dataclass(frozen=True)
class _Snapshot:
    entries: tuple[_Entry, ...]
    next_seq: int

    def order(self) -> list[str]:
        """Live keys by insertion (sequence) order: the probe positions."""
        return [k.key for k in sorted((k for e in self.entries for k in e.live), key=lambda k: k.seq)]

    def find(self, key: str) -> _Entry | None:
        return next((e for e in self.entries if any(k.key == key for k in e.live)), None)


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY_LENGTH or not key.isprintable():
        raise InputError(f"invalid segment key {key!r}: 1 to {_MAX_KEY_LENGTH} printable characters", field="key")


class FingerprintIndex:
    """A directory of segments, one per key (dataset version), probed as one set.

    The object holds a snapshot of the manifest (read at construction, by :meth:`refresh`, and after its
    own :meth:`add` / :meth:`retire` / :meth:`compact`); positions returned by :meth:`probe` index that
    snapshot's :meth:`keys`, which lists live keys in insertion order. A missing directory is an empty
    index; writers create it. Several threads may :meth:`probe` one object at once; refreshing, writing or
    closing it while another thread probes it is not supported (use one object per thread for that).
    Probing costs one lookup per segment file, so when an :meth:`add` leaves more
    than ``max_segments`` files the index compacts (tiered: see :meth:`compact`); ``None`` never does.
    """

    def __init__(self, directory: str | os.PathLike[str], *, verify: Verify = "quick", memory: Memory = "map",
                 max_segments: int | None = DEFAULT_MAX_SEGMENTS) -> None:
        self.directory = Path(directory)
        self.verify: Verify = verify
        self.memory: Memory = memory
        self.max_segments = max_segments
        self._snapshot = _Snapshot((), 0)
        self._keys: list[str] = []
        self._plans: list[tuple[_Entry, I32Array, int]] = []  # entry, owner -> position, smallest position
        self._open: dict[str, Segment] = {}
        self._opening = threading.Lock()
        self.refresh()

    # -- snapshot

    @property
    def manifest_path(self) -> Path:
        return self.directory / _MANIFEST

    def _read_manifest(self) -> _Snapshot:
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _Snapshot((), 0)
        except OSError as exc:
            raise InputError(f"cannot read the fingerprint index manifest: {exc.strerror or exc}",
                             path=str(self.manifest_path)) from exc
        try:
            data = json.loads(text)
            if data.get("format") != _MANIFEST_FORMAT:
                raise ValueError("not a fingerprint index manifest")
            if data.get("version") != _MANIFEST_VERSION:
                raise ValueError(f"manifest version {data.get('version')!r}; this SynthGuard reads "
                                 f"{_MANIFEST_VERSION}")
            snapshot = _Snapshot(tuple(_Entry.from_json(item) for item in data["segments"]), int(data["next_seq"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"corrupt fingerprint index manifest: {exc}", path=str(self.manifest_path)) from exc
        live = [k.key for e in snapshot.entries for k in e.live]
        if len(set(live)) != len(live):
            raise InputError("corrupt fingerprint index manifest: duplicate key", path=str(self.manifest_path))
        return snapshot

    def refresh(self) -> None:
        """Re-read the manifest; segments no longer listed are closed."""
        self._use(self._read_manifest())

    def _use(self, snapshot: _Snapshot) -> None:
        files = {e.file for e in snapshot.entries}
        for file in [f for f in self._open if f not in files]:
            self._open.pop(file).close()
        self._snapshot = snapshot
        self._keys = snapshot.order()
        position = {key: i for i, key in enumerate(self._keys)}
        plans = []
        for entry in snapshot.entries:
            positions = np.array([-1 if k.retired else position[k.key] for k in entry.keys], np.int32)
            if (positions >= 0).any():
                plans.append((entry, positions, int(positions[positions >= 0].min())))
        self._plans = sorted(plans, key=lambda plan: plan[2])

    def keys(self) -> list[str]:
        """Live segment keys in insertion order; :meth:`probe` positions index this list."""
        return list(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def key_of(self, position: int) -> str:
        """The key at ``position`` (as returned by :meth:`probe`)."""
        if not 0 <= position < len(self._keys):
            raise NotFoundError(f"no segment at position {position} (the index has {len(self._keys)})",
                                path=str(self.directory))
        return self._keys[position]

    def segments(self) -> list[SegmentInfo]:
        """What each segment file holds, from the manifest (no file is opened)."""
        return [SegmentInfo(self.directory / e.file, e.count, e.exact, e.layout, e.bucket_bits, e.nbytes, e.sha256,
                            owned=e.file.startswith(_MERGED_PREFIX),
                            keys=tuple(k.key for k in e.live)) for e in self._snapshot.entries]

    def segment(self, key: str) -> Segment:
        """The open segment file holding ``key`` (a merged one holds other keys too; the index owns it)."""
        entry = self._snapshot.find(key)
        if entry is None:
            raise NotFoundError(f"no fingerprint segment {key!r}", path=str(self.directory))
        return self._segment(entry)

    def fingerprint_count(self) -> int:
        """Entries over all segment files (a fingerprint held by two keys counts twice)."""
        return sum(e.count for e in self._snapshot.entries)

    def _segment(self, entry: _Entry) -> Segment:
        segment = self._open.get(entry.file)
        if segment is None:
            segment = Segment.open(self.directory / entry.file, verify=self.verify, memory=self.memory)
            if segment.sha256 != entry.sha256 or segment.count != entry.count:
                segment.close()
                raise InputError("fingerprint segment does not match the index manifest", path=str(segment.path))
            self._open[entry.file] = segment
        return segment

    def _open_all(self) -> list[tuple[Segment, I32Array, int]]:
        """Every live segment of the snapshot; if a file vanished (retired concurrently), re-read the manifest."""
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                with self._opening:
                    return [(self._segment(entry), positions, floor) for entry, positions, floor in self._plans]
            except FileNotFoundError as exc:
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise InputError("a fingerprint segment listed in the manifest is missing",
                                     path=str(exc.filename)) from exc
                self.refresh()
        raise AssertionError("unreachable")

    # -- probing

    def probe(self, fingerprints: npt.ArrayLike, *, threads: int = 1) -> I32Array:
        """For each fingerprint, the position in :meth:`keys` of the first (oldest) key holding it, or -1.

        ``threads > 1`` probes row ranges on that many threads (the kernels release the GIL).
        """
        fps = _as_fingerprints(fingerprints)
        segments = self._open_all()
        out = np.full(fps.size, -1, np.int32)
        if not segments or fps.size == 0:
            return out
        if len(segments) == 1:
            ranges = _split(fps.size, max(1, threads))
        else:  # keep a block of probes in cache while every segment probes it
            ranges = [(start, min(start + _PROBE_BLOCK, fps.size)) for start in range(0, fps.size, _PROBE_BLOCK)]

        def run(bounds: tuple[int, int]) -> None:
            block, result = fps[bounds[0]:bounds[1]], out[bounds[0]:bounds[1]]
            for segment, positions, floor in segments:
                segment.probe_into(block, result, positions, floor)

        if threads <= 1:
            for bounds in ranges:
                run(bounds)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(run, ranges))
        return out

    def contains(self, fingerprints: npt.ArrayLike, *, threads: int = 1) -> BoolArray:
        """For each fingerprint, whether any live key holds it."""
        return self.probe(fingerprints, threads=threads) >= 0

    # -- writing

    @contextlib.contextmanager
    def _writer(self) -> Iterator[_Snapshot]:
        """Hold the writer lock; yields a fresh snapshot after removing the leftovers of dead writers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.refresh()
            self._clean()
            yield self._snapshot
        finally:
            os.close(fd)

    def _clean(self) -> None:
        live = {e.file for e in self._snapshot.entries}
        for name in os.listdir(self.directory):
            ours = name.endswith(_SEGMENT_SUFFIX) and name.startswith((_PLAIN_PREFIX, _MERGED_PREFIX))
            if name.endswith((_TEMP_SUFFIX, _RETIRED_SUFFIX)) or (ours and name not in live):
                _log.info("removing leftover %s from %s", name, self.directory)
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / name).unlink()

    def _commit(self, snapshot: _Snapshot) -> None:
        """Write ``snapshot`` as the manifest, atomically, and use it."""
        data = {"format": _MANIFEST_FORMAT, "version": _MANIFEST_VERSION, "next_seq": snapshot.next_seq,
                "segments": [e.to_json() for e in snapshot.entries]}
        temp = _temp_name(self.manifest_path)
        try:
            with open(temp, "x", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.manifest_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        _fsync_dir(self.directory)
        self._use(snapshot)

    def _delete(self, file: str) -> None:
        """Take a segment file away: rename it to ``*.retired`` (a crash leaves a name cleaning knows), delete it."""
        segment = self._open.pop(file, None)
        if segment is not None:
            segment.close()
        path = self.directory / file
        retired = path.with_name(path.name + _RETIRED_SUFFIX)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, retired)
            retired.unlink()

    def add(self, key: str, fingerprints: npt.ArrayLike, *, exact: bool = False,
            layout: Layout = "auto") -> SegmentInfo:
        """Build the segment for ``key`` from ``fingerprints`` and add it; other segments are untouched.

        A key already in the index raises InputError (retire it first to replace it). Returns the built
        segment (which the automatic compaction may since have merged into another file).
        """
        _check_key(key)
        fps = _as_fingerprints(fingerprints)
        plan = _plan(fps.size, exact, layout)
        with self._writer() as snapshot:
            if key in self._keys:
                raise InputError(f"fingerprint segment {key!r} already exists", path=str(self.directory),
                                 field="key")
            info = _build(fps, self.directory / f"{_PLAIN_PREFIX}{uuid.uuid4().hex}{_SEGMENT_SUFFIX}", plan, exact)
            entry = _Entry(info.path.name, (_Key(key, snapshot.next_seq),), info.count, info.exact, info.layout,
                           info.bucket_bits, info.nbytes, info.sha256)
            try:
                self._commit(_Snapshot((*snapshot.entries, entry), snapshot.next_seq + 1))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    info.path.unlink()
                raise
            if self.max_segments is not None and len(self._snapshot.entries) > self.max_segments:
                self._compact(tiered=True)
        return dataclasses.replace(info, keys=(key,))

    def retire(self, key: str) -> bool:
        """Take ``key``'s fingerprints out of the index; False (and no change) when it holds no such key.

        A plain segment's file is deleted; in a merged segment the key is marked retired (its entries stop
        matching at once) and its entries are dropped by the next :meth:`compact`, or the file is deleted
        when its last key goes.
        """
        with self._writer() as snapshot:
            entry = snapshot.find(key)
            if entry is None:
                return False
            others = tuple(e for e in snapshot.entries if e is not entry)
            if len(entry.live) == 1:
                self._commit(_Snapshot(others, snapshot.next_seq))
                self._delete(entry.file)
            else:
                keys = tuple(dataclasses.replace(k, retired=True) if k.key == key else k for k in entry.keys)
                self._commit(_Snapshot((*others, dataclasses.replace(entry, keys=keys)), snapshot.next_seq))
        return True

    def compact(self, *, tiered: bool = False) -> list[SegmentInfo]:
        """Merge segments so that a probe costs one lookup per file, not one per version.

        Approximate segments merge into one segment (compact layout unless every input is full and the full
        file is smaller); exact segments merge into one full-layout segment; retired keys' entries are
        dropped. Each merged entry carries its owner (2 bytes), so a merged compact segment takes 6 B per
        fingerprint plus the 64 MiB directory. ``tiered=True`` (what :meth:`add` does past
        ``max_segments``) leaves out the largest segment of a group when it holds at least as many entries
        as the rest together, so a large base is not rewritten for every small version (the total work stays
        O(n log n)). Returns the new segments (empty when there was nothing to merge). Readers holding the
        old snapshot keep working on the old files until they refresh.
        """
        with self._writer():
            return self._compact(tiered)

    def _compact(self, tiered: bool) -> list[SegmentInfo]:
        built: list[SegmentInfo] = []
        for exact in (False, True):
            group = [e for e in self._snapshot.entries if e.exact == exact]
            if tiered and len(group) > 1:
                largest = max(group, key=lambda e: e.count)
                if 2 * largest.count >= sum(e.count for e in group):
                    group.remove(largest)
            if len(group) < 2 and (tiered or not any(k.retired for e in group for k in e.keys)):
                continue
            live = sorted((k for e in group for k in e.live), key=lambda k: k.seq)
            if len(live) > _MAX_OWNERS:
                if tiered:
                    _log.warning("not compacting %s: %d keys exceed %d per segment", self.directory, len(live),
                                 _MAX_OWNERS)
                    continue
                raise InputError(f"cannot merge {len(live)} keys into one segment (at most {_MAX_OWNERS})",
                                 path=str(self.directory))
            info = self._merge(group, live)
            entry = _Entry(info.path.name, tuple(live), info.count, info.exact, info.layout, info.bucket_bits,
                           info.nbytes, info.sha256)
            snapshot = self._snapshot
            try:
                self._commit(_Snapshot((entry, *(e for e in snapshot.entries if e not in group)), snapshot.next_seq))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    info.path.unlink()
                raise
            for old in group:
                self._delete(old.file)
            built.append(dataclasses.replace(info, keys=tuple(k.key for k in live)))
        return built

    def _merge(self, group: list[_Entry], live: list[_Key]) -> SegmentInfo:
        """Build one owned segment from ``group``'s live entries; owner ``o`` is ``live[o]``."""
        owner_of = {k.key: o for o, k in enumerate(live)}
        parts: list[list[U64Array]] = [[] for _ in live]
        for entry in group:
            fps, owners = self._segment(entry).fingerprints()
            if owners is None:
                parts[owner_of[entry.keys[0].key]].append(fps)
                continue
            order = np.argsort(owners, kind="stable")
            bounds = np.searchsorted(owners[order], np.arange(len(entry.keys) + 1))
            for old, k in enumerate(entry.keys):
                if not k.retired:
                    parts[owner_of[k.key]].append(fps[order[bounds[old]:bounds[old + 1]]])
        sizes = [sum(p.size for p in part) for part in parts]
        fps = np.concatenate([p for part in parts for p in part]) if any(sizes) else np.zeros(0, np.uint64)
        owner_bounds = np.zeros(len(live) + 1, np.int64)
        np.cumsum(sizes, out=owner_bounds[1:])
        exact = group[0].exact
        if exact or all(e.layout == "full" for e in group):
            plan = _plan(fps.size, exact, "auto", owned=True)
        else:
            plan = _plan(fps.size, False, "compact", owned=True)
        target = self.directory / f"{_MERGED_PREFIX}{uuid.uuid4().hex}{_SEGMENT_SUFFIX}"
        return _build(fps, target, plan, exact, owner_bounds)

    # -- lifetime

    def close(self) -> None:
        """Unmap every open segment (the snapshot stays; segments reopen on the next probe)."""
        for segment in self._open.values():
            segment.close()
        self._open.clear()

    def __enter__(self) -> FingerprintIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FingerprintIndex({str(self.directory)!r}, keys={len(self._keys)}, files={len(self._plans)})"


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    bounds = [total * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]
