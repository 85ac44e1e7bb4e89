"""Content digests of datasets: sharded SHA-256 manifests, their root digest, and comparison.

A dataset is a list of files and directories. :func:`digest_paths` turns it into a
:class:`~synthguard.models.Manifest`:

* **Walk.** :mod:`synthguard.catalog.walk` turns the arguments into the sorted files.
* **Shards.** Each file is cut into shards of at most ``shard_size`` bytes (1 GiB by default); an
  empty file has one shard of length 0. Every shard's SHA-256 is computed on a thread pool of
  ``os.cpu_count()`` workers: hashlib releases the GIL for large buffers, and each worker reads
  with ``readinto`` into its own reusable 4 MiB buffer, so memory stays at a few MiB per worker
  whatever the file size.
* **Whole-file digest.** ``FileDigest.sha256`` is the plain SHA-256 of the file, so it matches
  ``sha256sum``. For a single-shard file it *is* the shard digest and costs nothing extra. For a
  multi-shard file it needs a second, inherently sequential pass over the file; that pass is only
  made when ``whole_file=True`` (the register path) and runs on the pool concurrently with the
  shards, scheduled first because it is the longest job. With ``whole_file=False`` (the verify
  path) the field is :data:`NOT_COMPUTED` (the empty string) for multi-shard files.

  Design choice: verification never needs the whole-file digest. The root digest covers only the
  shard lines, so a manifest computed with ``whole_file=False`` has the same root as the one
  registered with ``whole_file=True``, and :func:`compare` walks files and shards in order and
  names the first differing file and shard (byte range). :func:`compare` treats
  :data:`NOT_COMPUTED` as "not known" and never reports it as a difference. A caller that wants to
  store a complete manifest after a successful verification can copy the recorded whole-file
  digests from the expected manifest. :func:`verify_paths` bundles the verify path: it recovers the
  shard size from the expected manifest (:func:`shard_size_of`), digests with
  ``whole_file=False`` and compares.
* **Root and comparison** live in :mod:`synthguard.catalog.manifests`.

Progress is reported from the calling thread only (the workers bump a locked counter that the
caller's thread polls), so the ``progress`` callback does not need to be thread-safe.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from synthguard.errors import InputError
from synthguard.models import FileDigest, Manifest, ShardDigest

from .manifests import DEFAULT_SHARD_SIZE, NOT_COMPUTED, Difference, compare, root_of, shard_size_of
from .walk import PathArg, SourceFile, collect, path_error, stat_path

__all__ = ["EMPTY_SHA256", "ProgressCallback", "digest_paths", "verify_paths"]

CHUNK_SIZE = 4 << 20
"""Read size: large enough that hashlib drops the GIL and syscalls are rare, small enough to stay
in L2/L3-friendly territory and keep per-worker memory bounded."""

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

ProgressCallback = Callable[[int], None]

_POLL_SECONDS = 0.1  # how often the calling thread wakes to report progress


@dataclass(frozen=True)
class _Job:
    """One byte range to hash; ``shard`` is None for the whole-file pass."""

    source: SourceFile
    offset: int
    length: int
    shard: int | None


class _Cancelled(Exception):
    """A worker noticed that another one failed; its own result is no longer wanted."""


class _Meter:
    """Bytes hashed so far, shared by the workers; read by the calling thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = 0

    def add(self, count: int) -> None:
        with self._lock:
            self._done += count

    def done(self) -> int:
        with self._lock:
            return self._done


def _shard_ranges(size: int, shard_size: int) -> list[tuple[int, int]]:
    if size == 0:
        return [(0, 0)]
    return [(offset, min(shard_size, size - offset)) for offset in range(0, size, shard_size)]


def _plan(sources: list[SourceFile], shard_size: int, whole_file: bool) -> list[_Job]:
    jobs: list[_Job] = []
    for src in sources:
        ranges = _shard_ranges(src.size, shard_size)
        jobs.extend(_Job(src, offset, length, index) for index, (offset, length) in enumerate(ranges))
        if whole_file and len(ranges) > 1:
            jobs.append(_Job(src, 0, src.size, None))
    return jobs


def _schedule(jobs: list[_Job]) -> list[_Job]:
    """Longest jobs first (whole-file passes, then full shards) so the pool finishes together."""
    return sorted(jobs, key=lambda job: (job.shard is not None, -job.length))


def _advise_sequential(f: BinaryIO, offset: int, length: int) -> None:
    # A larger read-ahead window helps cold reads; harmless when the data is already cached.
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(f.fileno(), offset, length, os.POSIX_FADV_SEQUENTIAL)


def _hash_range(job: _Job, meter: _Meter, stop: threading.Event) -> str:
    """SHA-256 of ``job``'s byte range, read in chunks into one reusable buffer."""
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(max(1, min(CHUNK_SIZE, job.length))))
    remaining = job.length
    try:
        with open(job.source.path, "rb", buffering=0) as f:
            _advise_sequential(f, job.offset, job.length)
            f.seek(job.offset)
            while remaining:
                if stop.is_set():
                    raise _Cancelled
                count = f.readinto(buffer[: min(len(buffer), remaining)])
                if not count:
                    raise path_error(job.source.path, "file shrank while it was being hashed")
                digest.update(buffer[:count])
                remaining -= count
                meter.add(count)
    except OSError as exc:
        raise path_error(job.source.path, f"cannot read: {exc.strerror}") from exc
    return digest.hexdigest()


class _Reporter:
    """Calls ``progress`` with dataset bytes done, scaled so the last call equals the dataset size."""

    def __init__(self, progress: ProgressCallback | None, jobs: list[_Job]) -> None:
        self._progress = progress
        self._work = sum(job.length for job in jobs)
        # The whole-file pass re-reads data, so the work total exceeds the dataset size.
        self._dataset = sum(job.length for job in jobs if job.shard is not None)
        self._last = -1

    def report(self, work_done: int) -> None:
        if self._progress is None:
            return
        value = self._dataset if work_done >= self._work else work_done * self._dataset // self._work
        if value != self._last:
            self._last = value
            self._progress(value)


def _run(jobs: list[_Job], progress: ProgressCallback | None) -> list[str]:
    """Hash every job on a thread pool; results in job order. The first failure is raised."""
    meter, stop, reporter = _Meter(), threading.Event(), _Reporter(progress, jobs)
    workers = max(1, min(os.cpu_count() or 1, len(jobs)))
    pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synthguard-digest")
    try:
        futures = {job: pool.submit(_hash_range, job, meter, stop) for job in _schedule(jobs)}
        pending: set[cf.Future[str]] = set(futures.values())
        while pending:
            done, pending = cf.wait(pending, timeout=_POLL_SECONDS, return_when=cf.FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raises a worker's error in the calling thread
            reporter.report(meter.done())
        return [futures[job].result() for job in jobs]
    finally:
        stop.set()  # on error or Ctrl-C, running workers give up at their next chunk
        pool.shutdown(wait=True, cancel_futures=True)


def _check_unchanged(sources: list[SourceFile]) -> None:
    """A file that was rewritten while we read it has no single digest; say so."""
    for src in sources:
        st = stat_path(src.path)
        if (st.st_size, st.st_mtime_ns) != (src.size, src.mtime_ns):
            raise path_error(src.path, "file changed while it was being hashed")


def _file_digests(jobs: list[_Job], results: list[str]) -> tuple[FileDigest, ...]:
    """Group job results by file (jobs are in manifest-path order, shards in offset order)."""
    shards: dict[SourceFile, list[ShardDigest]] = {}
    whole: dict[SourceFile, str] = {}
    for job, sha in zip(jobs, results, strict=True):
        if job.shard is None:
            whole[job.source] = sha
        else:
            shards.setdefault(job.source, []).append(ShardDigest(job.offset, job.length, sha))
    files = []
    for src, parts in shards.items():
        sha256 = parts[0].sha256 if len(parts) == 1 else whole.get(src, NOT_COMPUTED)
        files.append(FileDigest(path=src.rel, size=src.size, sha256=sha256, shards=tuple(parts)))
    return tuple(files)


def digest_paths(
    paths: Iterable[PathArg] | PathArg,
    *,
    shard_size: int = DEFAULT_SHARD_SIZE,
    whole_file: bool = True,
    progress: ProgressCallback | None = None,
) -> Manifest:
    """Digest files and directories into a sharded manifest (see the module docstring).

    ``whole_file=False`` skips the sequential whole-file SHA-256 of multi-shard files (their
    ``sha256`` is :data:`NOT_COMPUTED`); the root digest is the same either way. ``progress`` is
    called from the calling thread with the number of dataset bytes hashed so far; its last call
    passes the dataset's total size.
    """
    if shard_size < 1:
        raise InputError(f"shard size must be at least 1 byte, got {shard_size}")
    sources = collect(paths)
    jobs = _plan(sources, shard_size, whole_file)
    results = _run(jobs, progress)
    _check_unchanged(sources)
    files = _file_digests(jobs, results)
    return Manifest(files=files, root=root_of(files))


def verify_paths(
    paths: Iterable[PathArg] | PathArg,
    expected: Manifest,
    *,
    progress: ProgressCallback | None = None,
) -> Difference | None:
    """Digest ``paths`` the cheap way (shards only, expected shard size) and compare to ``expected``."""
    actual = digest_paths(paths, shard_size=shard_size_of(expected), whole_file=False, progress=progress)
    return compare(expected, actual)
