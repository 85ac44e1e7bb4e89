"""Compiling SynthGuard's numba kernels the same way everywhere: ``nogil`` (callers run kernels on threads),
no bounds checks (callers validate), and an on-disk cache so a CLI run does not recompile — falling back
to an in-memory compile when no cache directory is writable (a read-only install)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from numba import njit

_log = logging.getLogger(__name__)


def jit(fn: Callable[..., Any], **options: Any) -> Any:
    """``njit(fn)`` with the defaults above; ``options`` add to or override them (``parallel``, ``inline`` …)."""
    settings: dict[str, Any] = {"nogil": True, "boundscheck": False, **options}
    try:
        return njit(cache=True, **settings)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        _log.debug("numba cache unavailable for %s; compiling in memory", fn.__name__)
        return njit(**settings)(fn)
