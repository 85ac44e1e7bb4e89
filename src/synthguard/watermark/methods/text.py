"""Text marks (off by default; a policy turns them on per column): a trailing space, or one Latin letter
replaced by its Cyrillic look-alike.

``whitespace``: bit 1 ends the value with one space, bit 0 with none; every value of the column is
conditioned by trimming trailing whitespace. ``homoglyph``: bit 1 writes one Cyrillic look-alike
(``а`` for ``a``), bit 0 none; values holding any Cyrillic letter of their own are left alone. Both are
fragile (a ``trim`` or a Unicode normalisation removes them) and visible to a careful reader, hence
off by default. The text with marks removed anchors other cells.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from ...fingerprint.fpv1 import ColumnSet, fingerprint
from .categorical import as_text
from .interface import I8, I64, U64, Bits, MarkMethod, Prepared

STYLES = ("whitespace", "homoglyph")
LATIN = "aceopxyABCEHKMOPTX"
CYRILLIC = "асеорхуАВСЕНКМОРТХ"
_TO_LATIN = str.maketrans(CYRILLIC, LATIN)
_CYRILLIC_BLOCK = r"[\x{0400}-\x{04FF}]"


class TextMark(MarkMethod):
    name: ClassVar[str] = "text"
    anchors: ClassVar[bool] = True

    def __init__(self, style: str = "whitespace") -> None:
        if style not in STYLES:
            raise InputError(f"unknown text mark style {style!r}: one of {', '.join(STYLES)}", field="style")
        self.style = style

    def params(self) -> dict[str, Any]:
        return {"style": self.style}

    def check_type(self, column: str, data_type: pa.DataType) -> None:
        value_type = data_type.value_type if pa.types.is_dictionary(data_type) else data_type
        if not (pa.types.is_string(value_type) or pa.types.is_large_string(value_type)):
            raise InputError(f"text marks need a text column, not {data_type}", field=column)

    def max_change(self) -> None:
        return None

    def _normalised(self, values: pa.Array) -> pa.Array:
        text = as_text(values)
        if self.style == "whitespace":
            return pc.utf8_rtrim_whitespace(text)
        for cyrillic, latin in zip(CYRILLIC, LATIN, strict=True):
            text = pc.replace_substring(text, cyrillic, latin)
        return text

    def read_bits(self, values: pa.Array) -> I8:
        text = as_text(values)
        if self.style == "whitespace":
            usable = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_rtrim_whitespace(text)), 0), False)
            bit = pc.fill_null(pc.match_substring_regex(text, r"\s$"), False)
        else:
            bit = pc.fill_null(pc.match_substring_regex(text, f"[{CYRILLIC}]"), False)
            usable = pc.or_(bit, pc.fill_null(pc.match_substring_regex(text, f"[{LATIN}]"), False))
        bits = np.asarray(bit.to_numpy(zero_copy_only=False), dtype=np.int8)
        return np.where(np.asarray(usable.to_numpy(zero_copy_only=False), dtype=bool), bits, -1).astype(np.int8)

    def invariant(self, values: pa.Array) -> tuple[U64, npt.NDArray[np.bool_]]:
        normalised = self._normalised(values)
        digests = fingerprint(pa.table({"v": normalised}), ColumnSet(("v",), {}))
        valid = pc.fill_null(pc.greater(pc.utf8_length(normalised), 0), False)
        return digests, np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)

    def prepare(self, values: pa.Array, rows: I64, choice: U64) -> Prepared:
        text = as_text(values)
        if self.style == "whitespace":
            base = pc.utf8_rtrim_whitespace(text)
            usable = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(base), 0), False)
                                .to_numpy(zero_copy_only=False), dtype=bool)
        else:
            base = text
            own = pc.fill_null(pc.match_substring_regex(text, _CYRILLIC_BLOCK), True)
            latin = pc.fill_null(pc.match_substring_regex(text, f"[{LATIN}]"), False)
            usable = np.asarray(pc.and_(pc.invert(own), latin).to_numpy(zero_copy_only=False), dtype=bool)
        keep = usable[rows]
        rows = rows[keep]
        return _TextPrepared(self.style, values.type, base, rows, keep, base.take(pa.array(rows)).to_pylist())


def _with_bit(style: str, value: str, bit: int) -> str:
    if style == "whitespace":
        return value + " " if bit else value
    if not bit:
        return value
    for index, char in enumerate(value):  # the first letter that has a look-alike
        position = LATIN.find(char)
        if position >= 0:
            return value[:index] + CYRILLIC[position] + value[index + 1:]
    return value


class _TextPrepared(Prepared):
    def __init__(self, style: str, data_type: pa.DataType, base: pa.Array, rows: I64,
                 keep: npt.NDArray[np.bool_], selected: list[str]) -> None:
        self.style, self.type, self.base, self.keep, self.selected = style, data_type, base, keep, selected
        self.mask = np.zeros(len(base), dtype=bool)
        self.mask[rows] = True

    def apply(self, bits: Bits) -> pa.Array:
        # Off by default and slow by design (one Python call per selected cell): a policy opts in.
        marked = [_with_bit(self.style, value, int(bit)) for value, bit in zip(self.selected, bits[self.keep],
                                                                                   strict=True)]
        out = pc.replace_with_mask(self.base, pa.array(self.mask), pa.array(marked, pa.string())) if marked \
            else self.base
        return pc.cast(out, self.type) if out.type != self.type else out
