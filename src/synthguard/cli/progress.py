"""A Rich progress bar for long hashing work, shown only on a terminal (quiet when piped)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn


@contextmanager
def byte_progress(label: str) -> Iterator[Callable[[int], None] | None]:
    """Yields a ``progress(bytes_done)`` callback, or ``None`` when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done: bar.update(task, completed=done)
