"""Scan options: one frozen value the runner, the context and the checks read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .synthetic import Catalogue

#: Directories never worth walking into (tool caches and vendored dependencies).
DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".terraform", "node_modules", ".venv", "venv", "__pycache__",
                    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".synthguard")


@dataclass(frozen=True)
class ScanOptions:
    #: A SAS whose expiry is further away than this many days is reported (SG-SAS-002).
    sas_max_days: int = 7
    #: A SAS expiration policy longer than this many days is reported (SG-SAS-001).
    sas_policy_max_days: int = 7
    #: "Now" for expiry checks; None means the current time (tests pin it).
    now: datetime | None = None
    #: Files larger than this are skipped with a note.
    max_file_bytes: int = 16 * 1024 * 1024
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES
    #: What the workspace's catalogue knows is synthetic (empty without a workspace).
    catalogue: Catalogue = field(default_factory=Catalogue)
    #: Run only these check ids (all when empty).
    only: tuple[str, ...] = ()
