"""Which files a dataset is: walking files and directories into the sorted list of files to digest.

A dataset is a list of files and directories. Directories are walked recursively in sorted order.
Entries whose name starts with ``.`` are skipped. A symlink inside a directory is followed only if
its target stays inside that directory; a link out of the tree, a symlink loop, a missing path, a
non-regular file (FIFO, socket, device) or an unreadable file raises
:class:`~synthguard.errors.InputError` naming the path. A file's manifest path is the POSIX path
relative to the directory argument; for a file argument it is the file's basename. Two arguments that
yield the same manifest path, a path containing a tab or a newline (the canonical text could not
represent it), a file name that is not valid UTF-8, and a dataset with no files at all are input
errors too.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from synthguard.errors import InputError

__all__ = ["PathArg", "SourceFile", "check_manifest_path", "collect", "list_files", "path_error", "shown",
           "stat_path"]

PathArg = str | os.PathLike[str]


@dataclass(frozen=True)
class SourceFile:
    """One file to digest: its manifest path, where to open it, and what it looked like."""

    rel: str
    path: str
    size: int
    mtime_ns: int


def shown(path: str) -> str:
    """A path as it can appear on one line of a message (control characters escaped)."""
    return path if path.isprintable() else repr(path)


def path_error(path: str, message: str) -> InputError:
    return InputError(message, path=shown(path))


def stat_path(path: str) -> os.stat_result:
    """``os.stat`` following symlinks, with every failure turned into a one-line InputError."""
    try:
        return os.stat(path)
    except FileNotFoundError as exc:
        what = "dangling symlink" if os.path.islink(path) else "no such file or directory"
        raise path_error(path, what) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise path_error(path, "symlink loop") from exc
        raise path_error(path, f"cannot stat: {exc.strerror}") from exc


def check_manifest_path(rel: str, shown_as: str) -> None:
    """Reject manifest paths the canonical text cannot represent unambiguously."""
    if "\t" in rel or "\n" in rel:
        raise path_error(shown_as, "path contains a tab or newline, which a manifest cannot represent")
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes in a file name come back as surrogates
        raise path_error(shown_as, "file name is not valid UTF-8") from exc


def _check_readable(path: str) -> None:
    """Fail before hashing starts rather than after hashing everything else."""
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise path_error(path, f"cannot read: {exc.strerror}") from exc


def _source(path: str, rel: str, st: os.stat_result) -> SourceFile:
    check_manifest_path(rel, path)
    _check_readable(path)
    return SourceFile(rel=rel, path=path, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _sorted_entries(directory: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        raise path_error(directory, f"cannot list directory: {exc.strerror}") from exc


def _walk(root: str, directory: str, prefix: str, ancestors: frozenset[tuple[int, int]]) -> Iterator[SourceFile]:
    """Yield the regular files under ``directory``; ``ancestors`` are (dev, inode) of the path so far."""
    for entry in _sorted_entries(directory):
        if entry.name.startswith("."):
            continue
        st = stat_path(entry.path)
        if entry.is_symlink() and not _inside(os.path.realpath(entry.path), root):
            raise path_error(entry.path, "symlink points outside the dataset directory")
        rel = prefix + entry.name
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                raise path_error(entry.path, "symlink loop (links to a directory that contains it)")
            yield from _walk(root, entry.path, rel + "/", ancestors | {key})
        elif stat.S_ISREG(st.st_mode):
            yield _source(entry.path, rel, st)
        else:
            raise path_error(entry.path, "not a regular file")


def _sources_of(arg: str) -> Iterator[SourceFile]:
    """The files one argument contributes: itself, or everything under it."""
    st = stat_path(arg)
    if stat.S_ISREG(st.st_mode):
        yield _source(arg, os.path.basename(os.path.normpath(arg)), st)
    elif stat.S_ISDIR(st.st_mode):
        yield from _walk(os.path.realpath(arg), arg, "", frozenset({(st.st_dev, st.st_ino)}))
    else:
        raise path_error(arg, "not a regular file or directory")


def collect(paths: Iterable[PathArg] | PathArg) -> list[SourceFile]:
    """Walk every argument; sorted by manifest path, duplicates and empty datasets rejected."""
    args = [os.fspath(paths)] if isinstance(paths, str | os.PathLike) else [os.fspath(p) for p in paths]
    by_rel: dict[str, SourceFile] = {}
    for arg in args:
        for src in _sources_of(arg):
            seen = by_rel.get(src.rel)
            if seen is not None:
                raise path_error(src.path, f"same manifest path {src.rel!r} as {shown(seen.path)}")
            by_rel[src.rel] = src
    if not by_rel:
        raise InputError("no files to digest (empty dataset)", path=", ".join(map(shown, args)) or None)
    return sorted(by_rel.values(), key=lambda src: src.rel.encode("utf-8"))


def list_files(paths: Iterable[PathArg] | PathArg) -> list[tuple[str, str]]:
    """``(path to open, manifest path)`` of every file the digest would cover, in manifest order."""
    return [(src.path, src.rel) for src in collect(paths)]
