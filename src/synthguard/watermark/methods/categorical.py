"""Categorical marks: a selected cell takes a declared-equivalent value whose position in its class has
the parity of the bit (``["DE", "DEU", "Germany"]``: 0 → DE or Germany, 1 → DEU).

Only values the policy declares equivalent are ever swapped, so the table means the same thing;
cells outside every class carry no mark. A class is a small set, so it anchors nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from .. import _kernels
from .interface import I8, I64, U64, Bits, MarkMethod, Prepared


def as_text(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())


class CategoricalMark(MarkMethod):
    name: ClassVar[str] = "categorical"

    def __init__(self, classes: list[list[str]] | tuple[tuple[str, ...], ...]) -> None:
        self.classes = tuple(tuple(str(v) for v in members) for members in classes)
        flat = [v for members in self.classes for v in members]
        if not self.classes or any(len(members) < 2 for members in self.classes):
            raise InputError("each equivalence class needs at least two values", field="equivalent")
        if len(set(flat)) != len(flat):
            raise InputError("a value appears in two equivalence classes (or twice in one)", field="equivalent")
        self._flat = pa.array(flat, pa.string())
        self._class = np.array([c for c, members in enumerate(self.classes) for _ in members], dtype=np.int64)
        self._member = np.array([i for members in self.classes for i in range(len(members))], dtype=np.int64)
        starts = np.cumsum([0] + [len(m) for m in self.classes[:-1]])
        self._start = np.asarray(starts, dtype=np.int64)
        self._size = np.array([len(m) for m in self.classes], dtype=np.int64)

    def params(self) -> dict[str, Any]:
        return {"classes": [list(members) for members in self.classes]}

    def check_type(self, column: str, data_type: pa.DataType) -> None:
        value_type = data_type.value_type if pa.types.is_dictionary(data_type) else data_type
        if not (pa.types.is_string(value_type) or pa.types.is_large_string(value_type)):
            raise InputError(f"categorical marks need a text column, not {data_type}", field=column)

    def max_change(self) -> None:
        return None

    def _flat_index(self, values: pa.Array) -> npt.NDArray[np.int64]:
        found = pc.index_in(as_text(values), value_set=self._flat)
        return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)

    def read_bits(self, values: pa.Array) -> I8:
        index = self._flat_index(values)
        return np.where(index >= 0, self._member[np.maximum(index, 0)] % 2, -1).astype(np.int8)

    def prepare(self, values: pa.Array, rows: I64, choice: U64) -> Prepared:
        # Only the selected cells (about one in four) are looked up; ``apply`` rewrites the string
        # column in one pass (``_kernels.replace_strings``), several times cheaper than
        # ``replace_with_mask`` or a full dictionary encoding.
        text = as_text(values)
        index = self._flat_index(text.take(pa.array(rows)))
        keep = index >= 0
        cls = self._class[index[keep]]
        size = self._size[cls]
        pick = (choice[keep] & np.uint64(0x7FFFFFFF)).astype(np.int64)
        # Members with an even position: ⌈size/2⌉ of them; odd: ⌊size/2⌋ (≥ 1, as size ≥ 2).
        even = self._start[cls] + 2 * (pick % ((size + 1) // 2))
        odd = self._start[cls] + 1 + 2 * (pick % (size // 2))
        return _CategoricalPrepared(values, text, rows[keep], keep, even, odd, self._flat)


class _CategoricalPrepared(Prepared):
    def __init__(self, values: pa.Array, text: pa.Array, rows: I64, keep: npt.NDArray[np.bool_], even: I64,
                 odd: I64, flat: pa.Array) -> None:
        self.values, self.text, self.rows, self.keep = values, text, rows, keep
        self.even, self.odd, self.flat = even, odd, flat

    def apply(self, bits: Bits) -> pa.Array:
        if not self.rows.size:
            return self.values
        members = np.where(bits[self.keep] == 1, self.odd, self.even)
        replaced = _kernels.replace_strings(self.text, self.rows, members, self.flat)
        if replaced is None:  # a layout the fast path does not take (e.g. large_string, sliced)
            index = np.arange(len(self.text), dtype=np.int64)
            index[self.rows] = len(self.text) + members
            replaced = pa.concat_arrays([self.text, self.flat.cast(self.text.type)]).take(pa.array(index))
        return pc.cast(replaced, self.values.type) if replaced.type != self.values.type else replaced
