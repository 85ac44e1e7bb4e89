"""The fingerprint segment file format: layouts, header, checksum, and the size plan of a segment.

:mod:`synthguard.fingerprint.segment` builds and reads segment files in this format.

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

import hashlib
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import InputError

MAGIC = b"SGFPIDX1"
FORMAT_VERSION = 1
COMPACT_BUCKET_BITS = 24
MAX_BUCKET_BITS = 24
FLAG_EXACT = 1
FLAG_OWNERS = 2

Layout = Literal["auto", "compact", "full"]
Verify = Literal["quick", "full"]
Memory = Literal["map", "load"]

HEADER = struct.Struct("<8sHHBBBBQQ32s")
HEADER_SIZE = 64
DIGEST_AT = 32
ALIGN = 64
CHUNK = 16 << 20
TEMP_SUFFIX = ".tmp"

U64Array = npt.NDArray[np.uint64]
I32Array = npt.NDArray[np.int32]
I64Array = npt.NDArray[np.int64]
U16Array = npt.NDArray[np.uint16]
BoolArray = npt.NDArray[np.bool_]

assert HEADER.size == HEADER_SIZE


# ---- layout planning


@dataclass(frozen=True)
class Plan:
    layout: Literal["compact", "full"]
    bucket_bits: int
    key_bytes: int
    dir_bytes: int
    owner_bytes: int = 0

    @property
    def data_offset(self) -> int:
        return _round_up(HEADER_SIZE + ((1 << self.bucket_bits) + 1) * self.dir_bytes, ALIGN)

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


def _make_plan(layout: Literal["compact", "full"], count: int, owned: bool) -> Plan:
    bucket_bits = COMPACT_BUCKET_BITS if layout == "compact" else _full_bucket_bits(count)
    return Plan(layout, bucket_bits, 4 if layout == "compact" else 8, 4 if count < 1 << 32 else 8, 2 if owned else 0)


def _full_bucket_bits(count: int) -> int:
    return max(1, min(MAX_BUCKET_BITS, count.bit_length() - 3))


def plan_for(count: int, exact: bool, layout: Layout, *, owned: bool = False) -> Plan:
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


def checksum(header_prefix: bytes, body: memoryview) -> bytes:
    """SHA-256 of ``header_prefix`` ‖ the SHA-256 of each 16 MiB chunk of ``body``, chunks hashed on threads."""
    chunks = [body[i:i + CHUNK] for i in range(0, len(body), CHUNK)]

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


# ---- the header




def corrupt(path: Path, message: str) -> InputError:
    return InputError(f"not a usable fingerprint segment: {message}", path=str(path))


def parse_header(path: Path, raw: bytes, size: int) -> tuple[Plan, int, int, bytes]:
    """Validate the header against the file size; returns (plan, flags, count, digest)."""
    if len(raw) < HEADER_SIZE:
        raise corrupt(path, f"truncated ({size} bytes, the header alone is {HEADER_SIZE})")
    magic, version, flags, bucket_bits, key_bytes, dir_bytes, owner_bytes, count, data_offset, digest = (
        HEADER.unpack(raw[:HEADER_SIZE]))
    if magic != MAGIC:
        raise corrupt(path, "bad magic (not a SynthGuard fingerprint segment)")
    if version != FORMAT_VERSION:
        raise corrupt(path, f"format version {version}; this SynthGuard reads version {FORMAT_VERSION}")
    if key_bytes not in (4, 8) or dir_bytes not in (4, 8) or not 1 <= bucket_bits <= MAX_BUCKET_BITS:
        raise corrupt(path, "corrupt header (bad key, directory or bucket width)")
    if key_bytes == 4 and bucket_bits != COMPACT_BUCKET_BITS:
        raise corrupt(path, "corrupt header (the compact layout has 24 bucket bits)")
    if owner_bytes != (2 if flags & FLAG_OWNERS else 0) or flags & ~(FLAG_EXACT | FLAG_OWNERS) or (
            flags & FLAG_EXACT and key_bytes == 4):
        raise corrupt(path, "corrupt header (bad flags)")
    if dir_bytes == 4 and count >= 1 << 32:
        raise corrupt(path, "corrupt header (directory width too small for the count)")
    plan = Plan("compact" if key_bytes == 4 else "full", bucket_bits, key_bytes, dir_bytes, owner_bytes)
    if data_offset != plan.data_offset:
        raise corrupt(path, "corrupt header (data offset does not match the directory size)")
    if size != plan.size(count):
        raise corrupt(path, f"truncated or corrupt ({size} bytes, the header says {plan.size(count)})")
    return plan, flags, count, digest
