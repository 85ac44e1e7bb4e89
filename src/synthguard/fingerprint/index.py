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

The index directory
-------------------
``index.json`` (:mod:`synthguard.fingerprint.index_manifest`) lists the segment files and their keys.
Writers (add, retire, compact) take an exclusive ``flock`` on ``.lock`` and re-read the manifest under it;
readers take no lock and use the snapshot they last read (:meth:`FingerprintIndex.refresh` re-reads it; a
probe re-reads it by itself if a listed file has gone). Retiring a plain segment's key rewrites the
manifest, then renames the file to ``*.retired`` and deletes it (a reader that has it mapped keeps working);
retiring a key of a merged segment marks it retired, which stops its entries matching at once, and the next
compaction drops them. Under the lock a writer first deletes the leftovers of killed writers: temporary
files, ``*.retired`` files and segment files the manifest does not list.

The segment file format and why the index is hand-written are in :mod:`synthguard.fingerprint.segment_format`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import InputError, NotFoundError
from .index_manifest import MAX_OWNERS, SEGMENT_SUFFIX, Entry, Key, Snapshot, check_key, read_manifest, write_manifest
from .segment import Segment, build_file, build_segment
from .segment_format import (
    TEMP_SUFFIX,
    BoolArray,
    I32Array,
    Layout,
    Memory,
    SegmentInfo,
    U64Array,
    Verify,
    as_fingerprints,
    plan_for,
)

_log = logging.getLogger(__name__)

_LOCK = ".lock"
_MANIFEST = "index.json"
_MERGED_PREFIX = "merged-"
_OPEN_ATTEMPTS = 3
_PLAIN_PREFIX = "seg-"
_PROBE_BLOCK = 1 << 16
_RETIRED_SUFFIX = ".retired"
DEFAULT_MAX_SEGMENTS = 2

__all__ = ["DEFAULT_MAX_SEGMENTS", "FingerprintIndex", "Layout", "Memory", "Segment", "SegmentInfo", "Verify",
           "build_segment"]


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
        self._snapshot = Snapshot((), 0)
        self._keys: list[str] = []
        self._plans: list[tuple[Entry, I32Array, int]] = []  # entry, owner -> position, smallest position
        self._open: dict[str, Segment] = {}
        self._opening = threading.Lock()
        self.refresh()

    # -- snapshot

    @property
    def manifest_path(self) -> Path:
        return self.directory / _MANIFEST

    def _read_manifest(self) -> Snapshot:
        return read_manifest(self.manifest_path)

    def refresh(self) -> None:
        """Re-read the manifest; segments no longer listed are closed."""
        self._use(self._read_manifest())

    def _use(self, snapshot: Snapshot) -> None:
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

    def _segment(self, entry: Entry) -> Segment:
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
        fps = as_fingerprints(fingerprints)
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
    def _writer(self) -> Iterator[Snapshot]:
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
            ours = name.endswith(SEGMENT_SUFFIX) and name.startswith((_PLAIN_PREFIX, _MERGED_PREFIX))
            if name.endswith((TEMP_SUFFIX, _RETIRED_SUFFIX)) or (ours and name not in live):
                _log.info("removing leftover %s from %s", name, self.directory)
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / name).unlink()

    def _commit(self, snapshot: Snapshot) -> None:
        """Write ``snapshot`` as the manifest, atomically, and use it."""
        write_manifest(self.manifest_path, snapshot)
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
        check_key(key)
        fps = as_fingerprints(fingerprints)
        plan = plan_for(fps.size, exact, layout)
        with self._writer() as snapshot:
            if key in self._keys:
                raise InputError(f"fingerprint segment {key!r} already exists", path=str(self.directory),
                                 field="key")
            info = build_file(fps, self.directory / f"{_PLAIN_PREFIX}{uuid.uuid4().hex}{SEGMENT_SUFFIX}", plan, exact)
            entry = Entry(info.path.name, (Key(key, snapshot.next_seq),), info.count, info.exact, info.layout,
                           info.bucket_bits, info.nbytes, info.sha256)
            try:
                self._commit(Snapshot((*snapshot.entries, entry), snapshot.next_seq + 1))
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
                self._commit(Snapshot(others, snapshot.next_seq))
                self._delete(entry.file)
            else:
                keys = tuple(dataclasses.replace(k, retired=True) if k.key == key else k for k in entry.keys)
                self._commit(Snapshot((*others, dataclasses.replace(entry, keys=keys)), snapshot.next_seq))
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
            if len(live) > MAX_OWNERS:
                if tiered:
                    _log.warning("not compacting %s: %d keys exceed %d per segment", self.directory, len(live),
                                 MAX_OWNERS)
                    continue
                raise InputError(f"cannot merge {len(live)} keys into one segment (at most {MAX_OWNERS})",
                                 path=str(self.directory))
            info = self._merge(group, live)
            entry = Entry(info.path.name, tuple(live), info.count, info.exact, info.layout, info.bucket_bits,
                           info.nbytes, info.sha256)
            snapshot = self._snapshot
            try:
                self._commit(Snapshot((entry, *(e for e in snapshot.entries if e not in group)), snapshot.next_seq))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    info.path.unlink()
                raise
            for old in group:
                self._delete(old.file)
            built.append(dataclasses.replace(info, keys=tuple(k.key for k in live)))
        return built

    def _merge(self, group: list[Entry], live: list[Key]) -> SegmentInfo:
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
            plan = plan_for(fps.size, exact, "auto", owned=True)
        else:
            plan = plan_for(fps.size, False, "compact", owned=True)
        target = self.directory / f"{_MERGED_PREFIX}{uuid.uuid4().hex}{SEGMENT_SUFFIX}"
        return build_file(fps, target, plan, exact, owner_bounds)

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
