"""The fingerprint index's manifest, ``index.json``: which segment files serve which keys (dataset version
ids), read and written atomically. Locking and cleaning are :mod:`synthguard.fingerprint.index`'s job.

``index.json`` holds ``{"format": "synthguard-fingerprint-index", "version": 1, "next_seq": N,
"segments": [{"file", "keys": [{"key", "seq", "retired"}], "count", "exact", "layout", "bucket_bits",
"bytes", "sha256"}]}``: each file with the keys it serves (a plain segment one, a merged segment one per owner),
each key with its insertion sequence number (which orders ``FingerprintIndex.keys()``). It is replaced
atomically (temporary file, fsync, rename, directory fsync).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from .segment import fsync_dir, temp_name

FORMAT = "synthguard-fingerprint-index"
VERSION = 1
MAX_KEY_LENGTH = 256
MAX_OWNERS = 65535
SEGMENT_SUFFIX = ".sgfp"


@dataclass(frozen=True)
class Key:
    key: str
    seq: int
    retired: bool = False


@dataclass(frozen=True)
class Entry:
    file: str
    keys: tuple[Key, ...]  # a plain segment has one; a merged segment's owner o is keys[o]
    count: int
    exact: bool
    layout: Literal["compact", "full"]
    bucket_bits: int
    nbytes: int
    sha256: str

    @property
    def live(self) -> list[Key]:
        return [k for k in self.keys if not k.retired]

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "keys": [{"key": k.key, "seq": k.seq, "retired": k.retired} for k in self.keys],
                "count": self.count, "exact": self.exact, "layout": self.layout, "bucket_bits": self.bucket_bits,
                "bytes": self.nbytes, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: Any) -> Entry:
        layout = data["layout"]
        if layout not in ("compact", "full"):
            raise ValueError(f"unknown layout {layout!r}")
        file = str(data["file"])
        if "/" in file or file.startswith(".") or not file.endswith(SEGMENT_SUFFIX):
            raise ValueError(f"bad segment file name {file!r}")
        keys = tuple(Key(str(k["key"]), int(k["seq"]), bool(k["retired"])) for k in data["keys"])
        if not keys or len(keys) > MAX_OWNERS:
            raise ValueError(f"segment {file} lists {len(keys)} keys")
        return cls(file, keys, int(data["count"]), bool(data["exact"]), layout, int(data["bucket_bits"]),
                   int(data["bytes"]), str(data["sha256"]))


@dataclass(frozen=True)
class Snapshot:
    entries: tuple[Entry, ...]
    next_seq: int

    def order(self) -> list[str]:
        """Live keys by insertion (sequence) order: the probe positions."""
        return [k.key for k in sorted((k for e in self.entries for k in e.live), key=lambda k: k.seq)]

    def find(self, key: str) -> Entry | None:
        return next((e for e in self.entries if any(k.key == key for k in e.live)), None)


def check_key(key: str) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InputError(f"invalid segment key {key!r}: 1 to {MAX_KEY_LENGTH} printable characters", field="key")


def read_manifest(path: Path) -> Snapshot:
    """The manifest at ``path`` (an empty snapshot when there is none); a bad one is an InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Snapshot((), 0)
    except OSError as exc:
        raise InputError(f"cannot read the fingerprint index manifest: {exc.strerror or exc}",
                         path=str(path)) from exc
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError("not a fingerprint index manifest")
        if data.get("version") != VERSION:
            raise ValueError(f"manifest version {data.get('version')!r}; this SynthGuard reads "
                             f"{VERSION}")
        snapshot = Snapshot(tuple(Entry.from_json(item) for item in data["segments"]), int(data["next_seq"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"corrupt fingerprint index manifest: {exc}", path=str(path)) from exc
    live = [k.key for e in snapshot.entries for k in e.live]
    if len(set(live)) != len(live):
        raise InputError("corrupt fingerprint index manifest: duplicate key", path=str(path))
    return snapshot


def write_manifest(path: Path, snapshot: Snapshot) -> None:
    """Write ``snapshot`` as the manifest at ``path``: temporary file, fsync, rename, directory fsync."""
    data = {"format": FORMAT, "version": VERSION, "next_seq": snapshot.next_seq,
            "segments": [e.to_json() for e in snapshot.entries]}
    temp = temp_name(path)
    try:
        with open(temp, "x", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_dir(path.parent)
