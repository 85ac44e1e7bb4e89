"""Content digests of datasets: sharded SHA-256 manifests, their root digest, and comparison.

A dataset is a list of files and directories. :func:`digest_paths` turns it into a
:class:`~synthguard.models.Manifest`:

* **Walk.** Directories are walked recursively in sorted order. Entries whose name starts with
  ``.`` are skipped. A symlink inside a directory is followed only if its target stays inside that
  directory; a link out of the tree, a symlink loop, a missing path, a non-regular file (FIFO,
  socket, device) or an unreadable file raises :class:`~synthguard.errors.InputError` naming the
  path. A file's manifest path is the POSIX path relative to the directory argument; for a file
  argument it is the file's basename. Two arguments that yield the same manifest path, a path
  containing a tab or a newline (the canonical text could not represent it), a file name that is
  not valid UTF-8, and a dataset with no files at all are input errors too.
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
* **Root.** ``root`` is ``"sha256:" + hex SHA-256`` of the canonical manifest text
  (:func:`manifest_text`): one line ``<path>\\t<offset>\\t<length>\\t<sha256hex>\\n`` per shard,
  sorted by the UTF-8 bytes of the path, then by offset.

Progress is reported from the calling thread only (the workers bump a locked counter that the
caller's thread polls), so the ``progress`` callback does not need to be thread-safe.
"""

from __future__ import annotations

import concurrent.futures as cf
import errno
import hashlib
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from synthguard.errors import InputError
from synthguard.models import FileDigest, Manifest, ShardDigest

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "EMPTY_SHA256",
    "NOT_COMPUTED",
    "Difference",
    "DifferenceKind",
    "PathArg",
    "ProgressCallback",
    "compare",
    "digest_paths",
    "list_files",
    "manifest_text",
    "root_of",
    "shard_size_of",
    "verify_paths",
]

DEFAULT_SHARD_SIZE = 1 << 30
"""Shards are at most 1 GiB unless the caller asks otherwise."""

CHUNK_SIZE = 4 << 20
"""Read size: large enough that hashlib drops the GIL and syscalls are rare, small enough to stay
in L2/L3-friendly territory and keep per-worker memory bounded."""

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

NOT_COMPUTED = ""
"""``FileDigest.sha256`` of a multi-shard file digested with ``whole_file=False``."""

ROOT_PREFIX = "sha256:"

PathArg = str | os.PathLike[str]
ProgressCallback = Callable[[int], None]

_POLL_SECONDS = 0.1  # how often the calling thread wakes to report progress
_HEX64 = re.compile(r"[0-9a-f]{64}")


# --------------------------------------------------------------------------------------------
# Walking the input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """One file to digest: its manifest path, where to open it, and what it looked like."""

    rel: str
    path: str
    size: int
    mtime_ns: int


def _shown(path: str) -> str:
    """A path as it can appear on one line of a message (control characters escaped)."""
    return path if path.isprintable() else repr(path)


def _error(path: str, message: str) -> InputError:
    return InputError(message, path=_shown(path))


def _stat(path: str) -> os.stat_result:
    """``os.stat`` following symlinks, with every failure turned into a one-line InputError."""
    try:
        return os.stat(path)
    except FileNotFoundError as exc:
        what = "dangling symlink" if os.path.islink(path) else "no such file or directory"
        raise _error(path, what) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _error(path, "symlink loop") from exc
        raise _error(path, f"cannot stat: {exc.strerror}") from exc


def _check_manifest_path(rel: str, shown_as: str) -> None:
    """Reject manifest paths the canonical text cannot represent unambiguously."""
    if "\t" in rel or "\n" in rel:
        raise _error(shown_as, "path contains a tab or newline, which a manifest cannot represent")
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes in a file name come back as surrogates
        raise _error(shown_as, "file name is not valid UTF-8") from exc


def _check_readable(path: str) -> None:
    """Fail before hashing starts rather than after hashing everything else."""
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise _error(path, f"cannot read: {exc.strerror}") from exc


def _source(path: str, rel: str, st: os.stat_result) -> _Source:
    _check_manifest_path(rel, path)
    _check_readable(path)
    return _Source(rel=rel, path=path, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _sorted_entries(directory: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        raise _error(directory, f"cannot list directory: {exc.strerror}") from exc


def _walk(root: str, directory: str, prefix: str, ancestors: frozenset[tuple[int, int]]) -> Iterator[_Source]:
    """Yield the regular files under ``directory``; ``ancestors`` are (dev, inode) of the path so far."""
    for entry in _sorted_entries(directory):
        if entry.name.startswith("."):
            continue
        st = _stat(entry.path)
        if entry.is_symlink() and not _inside(os.path.realpath(entry.path), root):
            raise _error(entry.path, "symlink points outside the dataset directory")
        rel = prefix + entry.name
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                raise _error(entry.path, "symlink loop (links to a directory that contains it)")
            yield from _walk(root, entry.path, rel + "/", ancestors | {key})
        elif stat.S_ISREG(st.st_mode):
            yield _source(entry.path, rel, st)
        else:
            raise _error(entry.path, "not a regular file")


def _sources_of(arg: str) -> Iterator[_Source]:
    """The files one argument contributes: itself, or everything under it."""
    st = _stat(arg)
    if stat.S_ISREG(st.st_mode):
        yield _source(arg, os.path.basename(os.path.normpath(arg)), st)
    elif stat.S_ISDIR(st.st_mode):
        yield from _walk(os.path.realpath(arg), arg, "", frozenset({(st.st_dev, st.st_ino)}))
    else:
        raise _error(arg, "not a regular file or directory")


def _collect(paths: Iterable[PathArg] | PathArg) -> list[_Source]:
    """Walk every argument; sorted by manifest path, duplicates and empty datasets rejected."""
    args = [os.fspath(paths)] if isinstance(paths, str | os.PathLike) else [os.fspath(p) for p in paths]
    by_rel: dict[str, _Source] = {}
    for arg in args:
        for src in _sources_of(arg):
            seen = by_rel.get(src.rel)
            if seen is not None:
                raise _error(src.path, f"same manifest path {src.rel!r} as {_shown(seen.path)}")
            by_rel[src.rel] = src
    if not by_rel:
        raise InputError("no files to digest (empty dataset)", path=", ".join(map(_shown, args)) or None)
    return sorted(by_rel.values(), key=lambda src: src.rel.encode("utf-8"))


def list_files(paths: Iterable[PathArg] | PathArg) -> list[tuple[str, str]]:
    """``(path to open, manifest path)`` of every file the digest would cover, in manifest order."""
    return [(src.path, src.rel) for src in _collect(paths)]


# --------------------------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """One byte range to hash; ``shard`` is None for the whole-file pass."""

    source: _Source
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


def _plan(sources: list[_Source], shard_size: int, whole_file: bool) -> list[_Job]:
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
                    raise _error(job.source.path, "file shrank while it was being hashed")
                digest.update(buffer[:count])
                remaining -= count
                meter.add(count)
    except OSError as exc:
        raise _error(job.source.path, f"cannot read: {exc.strerror}") from exc
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


def _check_unchanged(sources: list[_Source]) -> None:
    """A file that was rewritten while we read it has no single digest; say so."""
    for src in sources:
        st = _stat(src.path)
        if (st.st_size, st.st_mtime_ns) != (src.size, src.mtime_ns):
            raise _error(src.path, "file changed while it was being hashed")


def _file_digests(jobs: list[_Job], results: list[str]) -> tuple[FileDigest, ...]:
    """Group job results by file (jobs are in manifest-path order, shards in offset order)."""
    shards: dict[_Source, list[ShardDigest]] = {}
    whole: dict[_Source, str] = {}
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
    sources = _collect(paths)
    jobs = _plan(sources, shard_size, whole_file)
    results = _run(jobs, progress)
    _check_unchanged(sources)
    files = _file_digests(jobs, results)
    return Manifest(files=files, root=root_of(files))


# --------------------------------------------------------------------------------------------
# Canonical text and root
# --------------------------------------------------------------------------------------------


def _canonical(files: Iterable[FileDigest]) -> bytes:
    lines: list[tuple[bytes, int, int, str]] = []
    for file in files:
        _check_manifest_path(file.path, file.path)
        for shard in file.shards:
            if not _HEX64.fullmatch(shard.sha256):
                raise _error(file.path, f"shard at offset {shard.offset}: not a SHA-256 hex digest")
            lines.append((file.path.encode("utf-8"), shard.offset, shard.length, shard.sha256))
    if not lines:
        raise InputError("no files to digest (empty dataset)")
    lines.sort(key=lambda line: (line[0], line[1]))
    return b"".join(b"%s\t%d\t%d\t%s\n" % (p, o, n, h.encode("ascii")) for p, o, n, h in lines)


def manifest_text(manifest: Manifest) -> bytes:
    """The canonical manifest text the root digest is computed over."""
    return _canonical(manifest.files)


def root_of(files: Iterable[FileDigest]) -> str:
    """``sha256:<hex>`` over the canonical manifest text of ``files``."""
    return ROOT_PREFIX + hashlib.sha256(_canonical(files)).hexdigest()


def shard_size_of(manifest: Manifest) -> int:
    """A shard size that reproduces ``manifest``'s shard layout when digesting again.

    A multi-shard file reveals the size (its first shard is full). If every file fits in one shard,
    any size at least as large as the largest file gives the same layout.
    """
    for file in manifest.files:
        if len(file.shards) > 1:
            return file.shards[0].length
    return max(DEFAULT_SHARD_SIZE, *(file.size for file in manifest.files))


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------

DifferenceKind = Literal["missing", "extra", "shard", "layout", "file", "root"]


@dataclass(frozen=True)
class Difference:
    """The first way in which an actual manifest differs from the expected one.

    ``kind`` is ``missing`` / ``extra`` (a whole file), ``shard`` (content or length of one shard),
    ``layout`` (shard boundaries differ: digested with another shard size), ``file`` (shards agree
    but the recorded size or whole-file digest does not) or ``root`` (files agree but a root does
    not match them). ``shard``, ``offset`` and ``length`` locate the byte range when known.
    """

    kind: DifferenceKind
    message: str
    path: str | None = None
    shard: int | None = None
    offset: int | None = None
    length: int | None = None

    def __str__(self) -> str:
        return self.message


def _short(sha: str) -> str:
    return sha[:12] + "…" if len(sha) > 12 else sha or "(none)"


def _span(shard: ShardDigest) -> str:
    return f"bytes [{shard.offset}, {shard.offset + shard.length})"


def _layout_differs(exp: FileDigest, act: FileDigest) -> bool:
    """Whether the two digests cut the file at different places (another shard size was used)."""
    if exp.size == act.size:
        return [(s.offset, s.length) for s in exp.shards] != [(s.offset, s.length) for s in act.shards]
    # Sizes differ, so only the tail may differ; a multi-shard file's first shard is a full one.
    return len(exp.shards) > 1 and len(act.shards) > 1 and exp.shards[0].length != act.shards[0].length


def _layout_difference(exp: FileDigest, act: FileDigest) -> Difference:
    pairs = list(zip(exp.shards, act.shards, strict=False))
    index = next((i for i, (e, a) in enumerate(pairs) if (e.offset, e.length) != (a.offset, a.length)), None)
    if index is None:  # only possible for a malformed manifest (shards that do not tile the file)
        return Difference("layout", f"{_shown(exp.path)}: shards are cut differently "
                          f"({len(exp.shards)} expected, {len(act.shards)} here)", exp.path)
    e, a = pairs[index]
    return Difference("layout", f"{_shown(exp.path)}: shards are cut differently (shard {index} is "
                      f"{_span(e)} in the expected manifest, {_span(a)} here); "
                      "digest with the same shard size", exp.path, index, e.offset, e.length)


def _shard_difference(path: str, index: int, exp: ShardDigest | None, act: ShardDigest | None,
                      sizes: tuple[int, int]) -> Difference:
    """Describe shard ``index`` of ``path``, which differs (or exists on one side only)."""
    where = act if exp is None else exp
    assert where is not None  # at least one side has the shard
    if sizes[0] != sizes[1]:
        message = (f"{_shown(path)}: size changed from {sizes[0]} to {sizes[1]} bytes; "
                   f"first differing shard {index}, {_span(where)}")
    else:
        assert exp is not None and act is not None  # same size and layout: same shard count
        message = (f"{_shown(path)}: shard {index}, {_span(exp)} differs "
                   f"(expected sha256 {_short(exp.sha256)}, got {_short(act.sha256)})")
    return Difference("shard", message, path, index, where.offset, where.length)


def _file_difference(exp: FileDigest, act: FileDigest) -> Difference | None:
    if _layout_differs(exp, act):
        return _layout_difference(exp, act)
    sizes = (exp.size, act.size)
    for index in range(max(len(exp.shards), len(act.shards))):
        e = exp.shards[index] if index < len(exp.shards) else None
        a = act.shards[index] if index < len(act.shards) else None
        if e != a:
            return _shard_difference(exp.path, index, e, a, sizes)
    if exp.size != act.size:
        return Difference("file", f"{_shown(exp.path)}: recorded size {exp.size} != {act.size} although "
                          "every shard matches (inconsistent manifest)", exp.path)
    if NOT_COMPUTED not in (exp.sha256, act.sha256) and exp.sha256 != act.sha256:
        return Difference("file", f"{_shown(exp.path)}: whole-file sha256 differs although every shard "
                          f"matches (expected {_short(exp.sha256)}, got {_short(act.sha256)})", exp.path)
    return None


def compare(expected: Manifest, actual: Manifest) -> Difference | None:
    """The first difference between two manifests, in manifest-path then shard order; None if equal.

    A whole-file digest of :data:`NOT_COMPUTED` on either side is not compared, so ``actual`` may
    come from the verify path (``whole_file=False``).
    """
    exp = {file.path: file for file in expected.files}
    act = {file.path: file for file in actual.files}
    for path in sorted(exp.keys() | act.keys(), key=lambda p: p.encode("utf-8", "surrogatepass")):
        e, a = exp.get(path), act.get(path)
        if a is None:
            assert e is not None
            return Difference("missing", f"{_shown(path)}: missing (expected {e.size} bytes)", path)
        if e is None:
            return Difference("extra", f"{_shown(path)}: not in the expected manifest ({a.size} bytes)", path)
        difference = _file_difference(e, a)
        if difference is not None:
            return difference
    if expected.root != actual.root:
        return Difference("root", f"every file matches but the roots differ (expected {expected.root}, "
                          f"got {actual.root}); one manifest's root does not match its files")
    return None


def verify_paths(
    paths: Iterable[PathArg] | PathArg,
    expected: Manifest,
    *,
    progress: ProgressCallback | None = None,
) -> Difference | None:
    """Digest ``paths`` the cheap way (shards only, expected shard size) and compare to ``expected``."""
    actual = digest_paths(paths, shard_size=shard_size_of(expected), whole_file=False, progress=progress)
    return compare(expected, actual)
