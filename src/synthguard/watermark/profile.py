"""Column profiles of a released table, and matching a fragment's columns back to them.

A leaked fragment may have renamed its columns. Columns are matched by name first (exactly, then
ignoring case and punctuation), then by value distribution against the released version's profile:
numeric columns by a Kolmogorov–Smirnov distance to the stored quantiles, other columns by how many
of the fragment's values fall in a hashed sample of the released values (fp-v1 hashes of values whose
hash falls under a sampling rate, at most 4,096 per column — no value is stored in clear).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..errors import InputError
from ..fingerprint.fpv1 import ColumnSet, fingerprint
from .methods.numeric import as_floats

QUANTILES = 33
HASH_SAMPLE = 4096
_UNIT = float(1 << 53)


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    quantiles: tuple[float, ...] | None  # numeric columns
    rate: float  # hash sampling rate (0 when the column is not hashed)
    hashes: frozenset[int]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "quantiles": list(self.quantiles) if self.quantiles is not None else None,
                "rate": self.rate, "hashes": sorted(f"{h:016x}" for h in self.hashes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnProfile:
        quantiles = data.get("quantiles")
        return cls(str(data["name"]), tuple(float(q) for q in quantiles) if quantiles is not None else None,
                   float(data["rate"]), frozenset(int(h, 16) for h in data["hashes"]))


def _numeric(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_integer(data_type) or pa.types.is_floating(data_type))


def _hashable(data_type: pa.DataType) -> bool:
    return not (pa.types.is_floating(data_type) or pa.types.is_nested(data_type))


def _hashes(column: pa.Array) -> npt.NDArray[np.uint64]:
    present = column.drop_null()
    return np.unique(fingerprint(pa.table({"v": present}), ColumnSet(("v",), {})))


def _sampled(hashes: npt.NDArray[np.uint64], rate: float) -> npt.NDArray[np.uint64]:
    return hashes[(hashes >> np.uint64(11)).astype(np.float64) / _UNIT < rate]


def profile_table(table: pa.Table) -> list[ColumnProfile]:
    profiles = []
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        data_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        quantiles = None
        if _numeric(data_type):
            values = as_floats(column)
            values = values[np.isfinite(values)]
            if values.size:
                quantiles = tuple(float(q) for q in np.quantile(values, np.linspace(0, 1, QUANTILES)))
        rate, sample = 0.0, frozenset[int]()
        if _hashable(data_type):
            hashes = _hashes(column)
            rate = min(1.0, HASH_SAMPLE / max(1, hashes.size))
            sample = frozenset(int(h) for h in _sampled(hashes, rate))
        profiles.append(ColumnProfile(name, quantiles, rate, sample))
    return profiles


@dataclass(frozen=True)
class ColumnMatch:
    fragment: str
    released: str
    how: str  # "name", "name (case/punctuation)", "values" or "distribution"
    score: float


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _ks(values: npt.NDArray[np.float64], quantiles: Sequence[float]) -> float:
    """Largest gap between the fragment's CDF and the profile's, at the stored quantiles."""
    ordered = np.sort(values)
    levels = np.linspace(0, 1, len(quantiles))
    below = np.searchsorted(ordered, np.asarray(quantiles), side="right") / ordered.size
    return float(np.max(np.abs(below - levels)))


def _score(column: pa.Array, profile: ColumnProfile) -> tuple[float, str] | None:
    data_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if profile.rate > 0 and _hashable(data_type):
        sampled = _sampled(_hashes(column), profile.rate)
        if sampled.size >= 3:
            overlap = sum(1 for h in sampled.tolist() if h in profile.hashes) / sampled.size
            if overlap >= 0.5:
                return 1.0 + overlap, "values"
    if profile.quantiles is not None and _numeric(data_type):
        values = as_floats(column)
        values = values[np.isfinite(values)]
        if values.size >= 20:
            distance = _ks(values, profile.quantiles)
            # 99 % critical value of the one-sample KS statistic, plus the profile's own resolution.
            if distance <= 1.63 / math.sqrt(values.size) + 1.0 / (QUANTILES - 1):
                return 1.0 - distance, "distribution"
    return None


def map_columns(fragment: pa.Table, profiles: Sequence[ColumnProfile], wanted: Sequence[str]) -> list[ColumnMatch]:
    """Fragment columns matched to the released columns in ``wanted`` (each used at most once)."""
    matches: list[ColumnMatch] = []
    free_fragment = list(fragment.column_names)
    free_released = list(dict.fromkeys(wanted))
    for name in list(free_fragment):
        if name in free_released:
            matches.append(ColumnMatch(name, name, "name", 1.0))
            free_fragment.remove(name)
            free_released.remove(name)
    by_key = {_key(n): n for n in free_released}
    for name in list(free_fragment):
        released = by_key.get(_key(name))
        if released is not None and released in free_released:
            matches.append(ColumnMatch(name, released, "name (case/punctuation)", 1.0))
            free_fragment.remove(name)
            free_released.remove(released)
    by_name = {p.name: p for p in profiles}
    candidates = []
    for name in free_fragment:
        column = fragment.column(name).combine_chunks()
        for released in free_released:
            if released in by_name:
                try:
                    scored = _score(column, by_name[released])
                except InputError:  # a type fp-v1 does not cover: the column cannot be matched by its values
                    scored = None
                if scored is not None:
                    candidates.append((scored[0], name, released, scored[1]))
    for value, name, released, how in sorted(candidates, key=lambda c: -c[0]):
        if name in free_fragment and released in free_released:
            matches.append(ColumnMatch(name, released, how, round(value, 4)))
            free_fragment.remove(name)
            free_released.remove(released)
    return matches


def renamed(fragment: pa.Table, matches: Sequence[ColumnMatch]) -> pa.Table:
    """The matched columns of ``fragment`` under their released names."""
    return pa.table({m.released: fragment.column(m.fragment) for m in matches})
