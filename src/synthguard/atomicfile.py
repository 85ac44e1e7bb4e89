"""Writing a whole file or nothing: every report, policy, bundle, config and manifest SynthGuard writes goes
through :func:`write_atomic`, so a killed process or a full disk never leaves a half-written file under the
real name.

The data goes to a hidden temporary file in the target's directory (same file system, so the rename is
atomic), is fsynced, renamed over the target, and the directory is fsynced so the rename survives a crash.
Record-batch outputs (CSV / Parquet / JSON Lines) stream through :class:`synthguard.tabular.writers.TableWriter`,
which uses the same temporary names.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from .errors import InputError

__all__ = ["fsync_directory", "temporary_name", "write_atomic"]


def temporary_name(target: Path) -> Path:
    """A hidden name next to ``target``, unique per process and call (concurrent writers never share one)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.synthguard-tmp")


def write_atomic(path: Path, data: bytes | str, mode: int | None = None) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` whole or not at all. ``mode`` (e.g. 0o600 for anything
    secret) is applied before the file becomes visible; None leaves the permissions to the umask."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create directory: {exc.strerror or exc}", path=str(path.parent)) from exc
    tmp = temporary_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)  # os.open's mode is filtered by the umask
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from exc
    finally:
        tmp.unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # some file systems do not open directories; the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
