"""Evidence for incident steps: files hashed with SHA-256 and kept in the workspace, notes, links.

A file is copied (content-addressed) into ``<home>/incidents/<id>/evidence/`` while it is hashed, so
the record outlives the original; copies are staged under temporary names and only put in place
once the database transaction that references them has committed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError

_CHUNK = 1 << 20


def note(text: str, actor: str, now: datetime) -> dict[str, Any]:
    return {"kind": "note", "text": text, "added_at": now.isoformat(), "added_by": actor}


def link(target: str, text: str, now: datetime) -> dict[str, Any]:
    return {"kind": "link", "target": target, "text": text, "added_at": now.isoformat(), "added_by": "synthguard"}


def fact(action: str, result: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What an automatic step action found or did (e.g. which releases it retired)."""
    return {"kind": "action", "action": action, "result": result, "added_at": now.isoformat(),
            "added_by": "synthguard"}


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class Staged:
    """Evidence files hashed and copied under temporary names, waiting for the commit."""

    items: list[dict[str, Any]] = field(default_factory=list)
    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def commit(self) -> None:
        for tmp, final in self.moves:
            os.replace(tmp, final)
        self.moves.clear()

    def discard(self) -> None:
        for tmp, _ in self.moves:
            tmp.unlink(missing_ok=True)
        self.moves.clear()


@contextmanager
def staged_files(paths: list[Path], store: Path, actor: str, now: datetime) -> Iterator[Staged]:
    """Hash and stage ``paths``; the caller commits the database, then ``Staged.commit()`` renames.

    Anything left staged when the block ends (an error, or no commit) is removed.
    """
    staged = Staged()
    try:
        for path in paths:
            staged.items.append(_stage(path, store, staged, actor, now))
        yield staged
    finally:
        staged.discard()


def _stage(path: Path, store: Path, staged: Staged, actor: str, now: datetime) -> dict[str, Any]:
    if not path.is_file():
        raise InputError("evidence file not found" if not path.exists() else "evidence must be a file",
                         path=str(path), field="evidence")
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=store, prefix=".staged-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as dst, path.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot read evidence file: {exc.strerror or exc}", path=str(path), field="evidence") from exc
    hexdigest = digest.hexdigest()
    final = store / f"{hexdigest[:16]}-{path.name}"
    staged.moves.append((tmp, final))
    return {"kind": "file", "name": path.name, "source": str(path.absolute()), "sha256": hexdigest, "size": size,
            "stored": str(final), "added_at": now.isoformat(), "added_by": actor}
