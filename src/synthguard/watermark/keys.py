"""The workspace's watermark secret: 32 random bytes in ``$SYNTHGUARD_HOME/keys/watermark.key`` (mode 0600).

Created on first release, never logged, never stored in the database: releases record only its key id
(``wm:`` + 16 hex digits of an HMAC of a fixed label, which reveals nothing of the secret). Rotation
moves the old secret to ``keys/watermark-retired/<id>.key`` so older releases still trace; destroying it
makes them untraceable, and a trace says so instead of guessing. A replaced or missing secret has a
different (or no) id, so it can never produce a false attribution.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WorkspaceError

KEY_FILE = "watermark.key"
RETIRED_DIR = "watermark-retired"
SECRET_BYTES = 32


@dataclass(frozen=True)
class WatermarkKey:
    key_id: str
    secret: bytes = field(repr=False)
    retired: bool = False


def key_id_of(secret: bytes) -> str:
    return "wm:" + hmac.new(secret, b"synthguard-wm/v1/key-id", hashlib.sha256).hexdigest()[:16]


def _read(path: Path, *, retired: bool) -> WatermarkKey:
    try:
        secret = path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"cannot read the watermark key: {exc.strerror}", path=str(path)) from exc
    if len(secret) != SECRET_BYTES:
        raise WorkspaceError(f"the watermark key is damaged ({len(secret)} bytes, expected {SECRET_BYTES})",
                             path=str(path))
    return WatermarkKey(key_id_of(secret), secret, retired)


def _write_new(path: Path) -> None:
    """A fresh secret at ``path``, mode 0600, appearing whole; a concurrent creator's key wins if first."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(SECRET_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process made one first: keep theirs
            os.link(tmp, path)  # unlike rename, never replaces an existing secret
    finally:
        tmp.unlink(missing_ok=True)


def active_key(keys_dir: Path, *, create: bool = False) -> WatermarkKey | None:
    """The current secret; created when missing and ``create`` (releasing), else ``None`` (tracing)."""
    path = keys_dir / KEY_FILE
    if not path.exists():
        if not create:
            return None
        _write_new(path)
    return _read(path, retired=False)


def available_keys(keys_dir: Path) -> dict[str, WatermarkKey]:
    """Every secret this workspace still holds (the active one and retired ones), by key id."""
    keys = {k.key_id: k for k in (_read(p, retired=True) for p in sorted((keys_dir / RETIRED_DIR).glob("*.key")))}
    current = active_key(keys_dir)
    if current is not None:
        keys[current.key_id] = current
    return keys


def rotate(keys_dir: Path, *, destroy_previous: bool = False) -> tuple[str | None, str]:
    """Make a new active secret; the old one is kept for tracing (or destroyed). Returns (old id, new id)."""
    path = keys_dir / KEY_FILE
    old = active_key(keys_dir)
    if old is not None:
        if destroy_previous:
            path.unlink()
        else:
            retired = keys_dir / RETIRED_DIR
            retired.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(path, retired / f"{old.key_id.removeprefix('wm:')}.key")
    new = active_key(keys_dir, create=True)
    assert new is not None
    return (old.key_id if old else None), new.key_id


def destroy(keys_dir: Path, key_id: str) -> bool:
    """Delete a retired secret (its releases can no longer be traced); True when one was deleted."""
    path = keys_dir / RETIRED_DIR / f"{key_id.removeprefix('wm:')}.key"
    if path.exists():
        path.unlink()
        return True
    return False
