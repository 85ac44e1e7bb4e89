"""Numeric marks: quantisation index modulation in a domain coarser than the expected rounding.

With step ``q`` (four times the rounding the copy must survive), a value ``v`` lies in coarse cell
``C = ⌊v / 2q⌋`` and sub-cell ``b = ⌊v / q⌋ mod 2`` — the bit it carries. Every cell of the column is
*conditioned*: moved to the middle half of its sub-cell (``q·(2C + b + ¼ + ½f)``, ``f`` its position in
the sub-cell), so no value sits within ``q/4`` of an edge and rounding at the expected step reads back
the same bit and the same coarse cell; a selected cell moves to the sub-cell of its bit. The coarse
cell never changes, so it anchors the selection of other cells. Changes are at most 1.25·q (+ half
an output grid step); values on a decimal grid (prices in cents) stay on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from .. import _numeric
from .interface import I8, I64, U64, Bits, MarkMethod, Prepared

F64 = npt.NDArray[np.float64]


def as_floats(values: pa.Array) -> F64:
    """Cells as float64 with NaN for nulls (a copy; Arrow buffers stay untouched)."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    try:
        floats = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # A leaked copy may hold text in a numeric column ("n/a", "12,50"): those cells carry no mark.
        floats = np.array([_float_or_nan(v) for v in values.to_pylist()], dtype=np.float64)
    return np.asarray(floats, dtype=np.float64)


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True)
class _Cells:
    coarse: npt.NDArray[np.int64]
    bit: F64
    offset: F64  # ¼ + ½f: the conditioned position inside the sub-cell, in units of q
    finite: npt.NDArray[np.bool_]


class NumericMark(MarkMethod):
    name: ClassVar[str] = "numeric"
    anchors: ClassVar[bool] = True

    def __init__(self, q: float, decimals: int | None = None) -> None:
        if not q > 0 or not np.isfinite(q):
            raise InputError(f"numeric mark step must be positive, got {q!r}", field="rounding")
        self.q = float(q)
        self.decimals = decimals

    def params(self) -> dict[str, Any]:
        return {"q": self.q, "decimals": self.decimals}

    def check_type(self, column: str, data_type: pa.DataType) -> None:
        if not (pa.types.is_integer(data_type) or pa.types.is_floating(data_type)):
            raise InputError(f"numeric marks need an integer or floating-point column, not {data_type}",
                             field=column)

    def max_change(self) -> float:
        return 1.25 * self.q + (0.5 * 10.0 ** -self.decimals if self.decimals is not None else 0.0)

    def _cells(self, values: pa.Array) -> _Cells:
        return _Cells(*_numeric.quantise(as_floats(values), self.q))

    def read_bits(self, values: pa.Array) -> I8:
        cells = self._cells(values)
        return np.where(cells.finite, cells.bit, -1).astype(np.int8)

    def invariant(self, values: pa.Array) -> tuple[U64, npt.NDArray[np.bool_]]:
        cells, finite = _numeric.coarse(as_floats(values), self.q)
        return cells.view(np.uint64), finite

    def prepare(self, values: pa.Array, rows: I64, choice: U64) -> Prepared:
        # One fused pass (``_numeric.condition``): the numpy form of q·(2C + b + ¼ + ½f) allocated a
        # dozen column-sized temporaries, a large part of a first release's cost.
        base, zero, one, keep = _numeric.condition(as_floats(values), self.q, self.decimals, rows)
        nulls = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
        if not keep.all():
            rows, zero, one = rows[keep], zero[keep], one[keep]
        return _NumericPrepared(base, rows, keep, zero, one, values.type, nulls)


class _NumericPrepared(Prepared):
    def __init__(self, base: F64, rows: I64, keep: npt.NDArray[np.bool_], zero: F64, one: F64,
                 data_type: pa.DataType, nulls: npt.NDArray[np.bool_] | None) -> None:
        self.base, self.rows, self.keep, self.zero, self.one = base, rows, keep, zero, one
        self.type, self.nulls = data_type, nulls

    def apply(self, bits: Bits) -> pa.Array:
        out = self.base.copy()
        out[self.rows] = np.where(bits[self.keep] == 1, self.one, self.zero)
        value_type = self.type.value_type if pa.types.is_dictionary(self.type) else self.type
        if pa.types.is_integer(value_type):
            # Integer columns were marked with an integer step: the rounding is exact.
            if self.nulls is not None:
                out[self.nulls] = 0
            array = pa.array(np.rint(out).astype(np.int64), mask=self.nulls)
        else:
            array = pa.array(out, mask=self.nulls)
        return pc.cast(array, value_type)
