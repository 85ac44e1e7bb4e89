"""Reading the real, synthetic and control tables and encoding them for the attacks.

Every table is read with the tabular readers (CSV, Parquet, JSON Lines) into one Arrow table, checked
against the real table's schema (same column names, same kind per column), then encoded column by column:
numeric columns (integers, floats, decimals) as float64 with NaN for null, every other column (text,
booleans, dates, …) as int64 codes of one dictionary shared by all tables, -1 for null. Anonymeter
classes columns the same way (pandas "number" dtypes are numeric, all else categorical).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..tabular import reader_for

NUM = "num"
CAT = "cat"


@dataclass(frozen=True)
class Frame:
    """One encoded table: ``values[i]`` is column ``names[i]`` (float64 when numeric, int64 codes
    when categorical), ``label`` names the table in messages (its path)."""

    label: str
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    values: tuple[np.ndarray, ...]

    @property
    def rows(self) -> int:
        return len(self.values[0]) if self.values else 0

    def column(self, name: str) -> np.ndarray:
        return self.values[self.names.index(name)]

    def kind(self, name: str) -> str:
        return self.kinds[self.names.index(name)]

    def take(self, index: np.ndarray) -> Frame:
        return Frame(self.label, self.names, self.kinds, tuple(v[index] for v in self.values))

    def select(self, names: Sequence[str]) -> Frame:
        pos = [self.names.index(n) for n in names]
        return Frame(self.label, tuple(names), tuple(self.kinds[p] for p in pos), tuple(self.values[p] for p in pos))

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """``(numeric (rows, n_num) float64, categorical (rows, n_cat) int64)``, each C-contiguous."""
        return self._matrices

    @cached_property
    def _matrices(self) -> tuple[np.ndarray, np.ndarray]:
        num = [v for v, k in zip(self.values, self.kinds, strict=True) if k == NUM]
        cat = [v for v, k in zip(self.values, self.kinds, strict=True) if k == CAT]
        return (np.ascontiguousarray(np.column_stack(num)) if num else np.zeros((self.rows, 0)),
                np.ascontiguousarray(np.column_stack(cat)) if cat else np.zeros((self.rows, 0), dtype=np.int64))

    def unique_rows(self) -> Frame:
        """The distinct rows in first-seen order (NaN equals NaN, -0.0 equals 0.0)."""
        if self.rows == 0:
            return self
        parts = []
        for v, k in zip(self.values, self.kinds, strict=True):
            if k == NUM:
                canon = np.where(np.isnan(v), np.nan, v + 0.0)  # one NaN bit pattern, -0.0 → 0.0
                parts.append(canon.view(np.int64))
            else:
                parts.append(v)
        _, first = np.unique(np.column_stack(parts), axis=0, return_index=True)
        return self.take(np.sort(first))


def read_table(path: Path) -> pa.Table:
    """All rows of a CSV / Parquet / JSON Lines file as one Arrow table."""
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    batches = list(reader_for(path).batches(path))
    if not batches:
        raise InputError("no rows", path=str(path))
    return pa.Table.from_batches(batches).combine_chunks()


def _kind(t: pa.DataType) -> str | None:
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return NUM
    if pa.types.is_null(t):
        return None  # an all-null column takes the kind the other tables give it
    if pa.types.is_boolean(t) or pa.types.is_string(t) or pa.types.is_large_string(t) \
            or pa.types.is_temporal(t) or pa.types.is_dictionary(t) or pa.types.is_binary(t):
        return CAT
    return "unsupported"


def encode(tables: Sequence[tuple[str, pa.Table]]) -> list[Frame]:
    """Check that every table has the first one's columns and kinds; encode them jointly."""
    first_label, first = tables[0]
    names = tuple(first.column_names)
    if len(set(names)) != len(names):
        raise InputError("duplicate column names", path=first_label)
    for label, table in tables[1:]:
        missing = [n for n in names if n not in table.column_names]
        extra = [n for n in table.column_names if n not in names]
        if missing or extra:
            parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + \
                    ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
            raise InputError(f"columns differ from {first_label}: {'; '.join(parts)}", path=label)
    kinds: list[str] = []
    for name in names:
        seen = [(label, _kind(t.schema.field(name).type), t.schema.field(name).type) for label, t in tables]
        for label, kind, arrow_type in seen:
            if kind == "unsupported":
                raise InputError(f"column type {arrow_type} is not supported", path=label, field=name)
        known = [(label, k, t) for label, k, t in seen if k is not None]
        if any(k != known[0][1] for _, k, _ in known):
            a = known[0]
            b = next(x for x in known if x[1] != a[1])
            raise InputError(f"column is {_describe(a[1])} ({a[2]}) in {a[0]} but {_describe(b[1])} ({b[2]}) "
                             f"in {b[0]}", path=b[0], field=name)
        kinds.append(known[0][1] if known else CAT)
    columns: list[list[np.ndarray]] = [[] for _ in tables]
    for name, kind in zip(names, kinds, strict=True):
        arrays = [t.column(name) for _, t in tables]
        encoded = _numeric(arrays) if kind == NUM else _codes(arrays)
        for i, values in enumerate(encoded):
            columns[i].append(values)
    return [Frame(label, names, tuple(kinds), tuple(cols))
            for (label, _), cols in zip(tables, columns, strict=True)]


def _describe(kind: str) -> str:
    return "numeric" if kind == NUM else "categorical"


def _numeric(arrays: list[pa.ChunkedArray]) -> list[np.ndarray]:
    return [np.ascontiguousarray(pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
            for a in arrays]


def _codes(arrays: list[pa.ChunkedArray]) -> list[np.ndarray]:
    """Codes of one dictionary shared by all tables, so equal values compare equal across them."""
    texts = [pc.cast(a, pa.large_string()) if not pa.types.is_null(a.type) else
             pa.chunked_array([pa.nulls(len(a), pa.large_string())]) for a in arrays]
    joined = pa.chunked_array([c for t in texts for c in t.chunks], type=pa.large_string()).combine_chunks()
    indices = pc.fill_null(joined.dictionary_encode().indices, -1)
    codes = indices.to_numpy(zero_copy_only=False).astype(np.int64)
    out, start = [], 0
    for a in arrays:
        out.append(np.ascontiguousarray(codes[start:start + len(a)]))
        start += len(a)
    return out
