"""Numba kernels of the numeric marking method: quantisation cells, sub-cell bits and conditioned values.

A numeric cell ``v`` with step ``q`` lives in coarse cell ⌊v/2q⌋ and sub-cell ⌊v/q⌋ mod 2; a mark moves
it to the middle of the sub-cell its codeword bit names (what lets marks survive rounding). Private to
:mod:`synthguard.watermark`; ``methods/numeric.py`` calls the typed wrappers at the bottom.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._kernels import I64, B, _jit, run_ranges


def _quantise_py(values: Any, q: Any, coarse: Any, bit: Any, offset: Any, finite: Any) -> None:
    """Numeric cells: coarse cell ⌊v/2q⌋, sub-cell bit ⌊v/q⌋ mod 2 and conditioned offset ¼ + ½f."""
    for i in range(values.size):
        v = values[i]
        if np.isfinite(v):
            scaled = v / q
            n = np.floor(scaled)
            c = np.floor(n / 2.0)
            coarse[i] = np.int64(c)
            bit[i] = n - 2.0 * c
            offset[i] = 0.25 + 0.5 * (scaled - n)
            finite[i] = True
        else:
            coarse[i] = 0
            bit[i] = 0.0
            offset[i] = 0.5
            finite[i] = False


_quantise = _jit(_quantise_py)


def _coarse_py(values: Any, q: Any, coarse: Any, finite: Any) -> None:
    """Only the coarse cell ⌊⌊v/q⌋/2⌋ of ``_quantise_py`` (what anchors selection), as it computes it."""
    for i in range(values.size):
        v = values[i]
        finite[i] = np.isfinite(v)
        coarse[i] = np.int64(np.floor(np.floor(v / q) / 2.0)) if finite[i] else 0


_coarse = _jit(_coarse_py)


def _place_py(q: Any, coarse: Any, bit: Any, offset: Any, scale: Any, down: Any) -> Any:
    """``q·(2C + b + off)``, rounded as ``np.round(x, decimals)`` does: ``rint(x·10^d) / 10^d`` for
    ``d ≥ 0`` (``scale`` = 10^d, ``down`` False), ``rint(x / 10^-d)·10^-d`` for ``d < 0``; ``scale`` 0: none."""
    out = q * (2.0 * coarse + bit + offset)
    if scale == 0.0:
        return out
    if down:
        return np.rint(out / scale) * scale
    return np.rint(out * scale) / scale


_place = _jit(_place_py)


def _condition_py(values: Any, q: Any, scale: Any, down: Any, rows: Any, base: Any, zero: Any, one: Any,
                  keep: Any) -> None:
    """Numeric marks' ``prepare`` in one pass: every finite cell conditioned to the middle half of its
    sub-cell (``base``; other cells copied), and for each selected row its value with bit 0 and with bit
    1 (``keep`` False where the cell is not finite). The same arithmetic as ``_quantise_py``."""
    for i in range(values.size):
        v = values[i]
        if np.isfinite(v):
            scaled = v / q
            n = np.floor(scaled)
            c = np.floor(n / 2.0)
            base[i] = _place(q, np.float64(np.int64(c)), n - 2.0 * c, 0.25 + 0.5 * (scaled - n), scale, down)
        else:
            base[i] = v
    for j in range(rows.size):
        v = values[rows[j]]
        keep[j] = np.isfinite(v)
        if keep[j]:
            scaled = v / q
            n = np.floor(scaled)
            c = np.float64(np.int64(np.floor(n / 2.0)))
            offset = 0.25 + 0.5 * (scaled - n)
            zero[j] = _place(q, c, 0.0, offset, scale, down)
            one[j] = _place(q, c, 1.0, offset, scale, down)


_condition = _jit(_condition_py)


# ---- typed wrappers ------------------------------------------------------------------------------------


def quantise(values: npt.NDArray[np.float64], q: float) -> tuple[I64, npt.NDArray[np.float64],
                                                                 npt.NDArray[np.float64], B]:
    """(coarse cell, sub-cell bit, conditioned offset, finite) of every value for step ``q``."""
    n = values.size
    coarse, bit, offset = np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.float64)
    finite = np.empty(n, np.bool_)
    values = np.ascontiguousarray(values, dtype=np.float64)
    run_ranges(lambda a, b: _quantise(values[a:b], float(q), coarse[a:b], bit[a:b], offset[a:b], finite[a:b]), n)
    return coarse, bit, offset, finite


def condition(values: npt.NDArray[np.float64], q: float, decimals: int | None, rows: I64
              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], B]:
    """(conditioned column, selected cells with bit 0, with bit 1, selected cell is finite) — see
    ``_condition_py``; values are rounded to ``decimals`` like ``np.round`` when it is given."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    n, m = values.size, rows.size
    base, zero, one, keep = np.empty(n, np.float64), np.empty(m, np.float64), np.empty(m, np.float64), \
        np.empty(m, np.bool_)
    scale, down = (0.0, False) if decimals is None else (float(10 ** abs(decimals)), decimals < 0)
    _condition(values, float(q), scale, down, rows, base, zero, one, keep)
    return base, zero, one, keep


def coarse(values: npt.NDArray[np.float64], q: float) -> tuple[I64, B]:
    """(coarse cell, finite) of every value for step ``q``: ``quantise`` without the other outputs."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    cells, finite = np.empty(values.size, np.int64), np.empty(values.size, np.bool_)
    _coarse(values, float(q), cells, finite)
    return cells, finite
