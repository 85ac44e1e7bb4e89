"""Segment files of the fingerprint index: one immutable, memory-mapped, bucketed set of fp-v1 values.

:func:`build_segment` writes one; :class:`Segment` maps one read-only and probes it. The index of
segments per dataset version is :mod:`synthguard.fingerprint.index`.

The file format (layouts, header, checksum) is :mod:`synthguard.fingerprint.segment_format`.

A segment file is written to a hidden temporary file next to its final name (built in place through a
shared mapping, then truncated to its final size), fsynced, and renamed into place, then the directory
is fsynced: no partial segment is ever visible under a segment's name. Opening checks the header, the
exact file size and the directory's monotonicity (what keeps the probe kernel inside the file) —
``verify="quick"``, about 30 ms per 100 M fingerprints — or also the checksum, ``verify="full"`` (about
0.4 s per 100 M on two cores). A bad file raises :class:`~synthguard.errors.InputError` naming it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import mmap
import os
import time
import uuid
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from . import _index_kernels as kernels
from .segment_format import (
    DIGEST_AT,
    FLAG_EXACT,
    FLAG_OWNERS,
    FORMAT_VERSION,
    HEADER,
    HEADER_SIZE,
    MAGIC,
    TEMP_SUFFIX,
    BoolArray,
    I32Array,
    I64Array,
    Layout,
    Memory,
    Plan,
    SegmentInfo,
    U16Array,
    U64Array,
    Verify,
    as_fingerprints,
    checksum,
    corrupt,
    parse_header,
    plan_for,
)

__all__ = ["Segment", "build_file", "build_segment", "fsync_dir", "temp_name"]

_log = logging.getLogger(__name__)


# ---- building


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")


def _fill(mm: mmap.mmap, fps: U64Array, plan: Plan, owner_bounds: I64Array | None) -> int:
    """Build the directory, keys and owners into the mapped file; returns the number of entries."""
    directory = np.frombuffer(mm, plan.dir_dtype, (1 << plan.bucket_bits) + 1, HEADER_SIZE)
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


def _write_segment(handle: IO[bytes], fps: U64Array, plan: Plan, exact: bool,
                   owner_bounds: I64Array | None) -> tuple[int, bytes]:
    """Fill the open temporary file; returns (count, checksum). The file is fsynced when this returns."""
    handle.truncate(plan.size(fps.size))
    mm = mmap.mmap(handle.fileno(), plan.size(fps.size))
    try:
        count = _fill(mm, fps, plan, owner_bounds)
        size = plan.size(count)
        flags = (FLAG_EXACT if exact else 0) | (FLAG_OWNERS if plan.owner_bytes else 0)
        header = HEADER.pack(MAGIC, FORMAT_VERSION, flags, plan.bucket_bits, plan.key_bytes, plan.dir_bytes,
                              plan.owner_bytes, count, plan.data_offset, bytes(32))
        mm[:HEADER_SIZE] = header
        with memoryview(mm) as view:
            digest = checksum(header[:DIGEST_AT], view[HEADER_SIZE:size])
        mm[DIGEST_AT:HEADER_SIZE] = digest
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


def build_file(fps: U64Array, target: Path, plan: Plan, exact: bool,
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

    def __init__(self, path: Path, buffer: mmap.mmap | npt.NDArray[np.uint8], plan: Plan, flags: int, count: int,
                 digest: bytes) -> None:
        self.path = path
        self._buffer: mmap.mmap | npt.NDArray[np.uint8] | None = buffer
        self._plan = plan
        self.exact = bool(flags & FLAG_EXACT)
        self.count = count
        self.sha256 = digest.hex()
        directory = np.frombuffer(buffer, plan.dir_dtype, (1 << plan.bucket_bits) + 1, HEADER_SIZE)
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
                plan, flags, count, digest = parse_header(where, handle.read(HEADER_SIZE), size)
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
            raise corrupt(self.path, f"corrupt directory (bucket {bad})")
        if verify == "full":
            assert self._buffer is not None
            with self._buffer.data if isinstance(self._buffer, np.ndarray) else memoryview(self._buffer) as view:
                actual = checksum(bytes(view[:DIGEST_AT]), view[HEADER_SIZE:])
            if actual.hex() != self.sha256:
                raise corrupt(self.path, "checksum mismatch (the file is corrupt)")

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
