"""Manifests as text and as evidence: the canonical manifest text, its root digest, and comparison.

* **Root.** ``root`` is ``"sha256:" + hex SHA-256`` of the canonical manifest text
  (:func:`manifest_text`): one line ``<path>\\t<offset>\\t<length>\\t<sha256hex>\\n`` per shard,
  sorted by the UTF-8 bytes of the path, then by offset. The root covers only the shard lines, so a
  manifest digested without whole-file digests (the verify path) has the same root as the registered one.
* **Comparison.** :func:`compare` walks files and shards in order and names the first differing file
  and shard (byte range). It treats :data:`NOT_COMPUTED` as "not known" and never reports it as a
  difference. :func:`shard_size_of` recovers the shard size that reproduces a manifest's layout.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from synthguard.errors import InputError
from synthguard.models import FileDigest, Manifest, ShardDigest

from .walk import check_manifest_path, path_error, shown

__all__ = ["DEFAULT_SHARD_SIZE", "NOT_COMPUTED", "Difference", "DifferenceKind", "compare", "manifest_text",
           "root_of", "shard_size_of"]

DEFAULT_SHARD_SIZE = 1 << 30
"""Shards are at most 1 GiB unless the caller asks otherwise."""

NOT_COMPUTED = ""
"""``FileDigest.sha256`` of a multi-shard file digested with ``whole_file=False``."""

ROOT_PREFIX = "sha256:"

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _canonical(files: Iterable[FileDigest]) -> bytes:
    lines: list[tuple[bytes, int, int, str]] = []
    for file in files:
        check_manifest_path(file.path, file.path)
        for shard in file.shards:
            if not _HEX64.fullmatch(shard.sha256):
                raise path_error(file.path, f"shard at offset {shard.offset}: not a SHA-256 hex digest")
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
        return Difference("layout", f"{shown(exp.path)}: shards are cut differently "
                          f"({len(exp.shards)} expected, {len(act.shards)} here)", exp.path)
    e, a = pairs[index]
    return Difference("layout", f"{shown(exp.path)}: shards are cut differently (shard {index} is "
                      f"{_span(e)} in the expected manifest, {_span(a)} here); "
                      "digest with the same shard size", exp.path, index, e.offset, e.length)


def _shard_difference(path: str, index: int, exp: ShardDigest | None, act: ShardDigest | None,
                      sizes: tuple[int, int]) -> Difference:
    """Describe shard ``index`` of ``path``, which differs (or exists on one side only)."""
    where = act if exp is None else exp
    assert where is not None  # at least one side has the shard
    if sizes[0] != sizes[1]:
        message = (f"{shown(path)}: size changed from {sizes[0]} to {sizes[1]} bytes; "
                   f"first differing shard {index}, {_span(where)}")
    else:
        assert exp is not None and act is not None  # same size and layout: same shard count
        message = (f"{shown(path)}: shard {index}, {_span(exp)} differs "
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
        return Difference("file", f"{shown(exp.path)}: recorded size {exp.size} != {act.size} although "
                          "every shard matches (inconsistent manifest)", exp.path)
    if NOT_COMPUTED not in (exp.sha256, act.sha256) and exp.sha256 != act.sha256:
        return Difference("file", f"{shown(exp.path)}: whole-file sha256 differs although every shard "
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
            return Difference("missing", f"{shown(path)}: missing (expected {e.size} bytes)", path)
        if e is None:
            return Difference("extra", f"{shown(path)}: not in the expected manifest ({a.size} bytes)", path)
        difference = _file_difference(e, a)
        if difference is not None:
            return difference
    if expected.root != actual.root:
        return Difference("root", f"every file matches but the roots differ (expected {expected.root}, "
                          f"got {actual.root}); one manifest's root does not match its files")
    return None
