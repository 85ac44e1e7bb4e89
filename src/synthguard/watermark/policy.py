"""Which columns may carry marks, and how: a policy file (TOML or YAML) or defaults from the schema.

    fraction = 16                 # γ: each (anchor, column) pair marks about one cell in γ
    code_length = 512             # bits per recipient codeword
    [columns.unit_price]
    method = "numeric"            # low-order change within a tolerance
    rounding = 0.01               # the copy must survive rounding to this step (marks use 4× it)
    tolerance = "1%"              # largest change allowed: absolute (0.05) or relative to the median
    [columns.country]
    method = "categorical"        # swap among declared-equivalent values
    equivalent = [["DE", "DEU"], ["FR", "FRA"]]
    [columns.notes]
    method = "text"               # off unless asked: style = "whitespace" | "homoglyph"
    [columns.order_id]
    method = "key"                # a stable column anchoring the marks (a virtual primary key)
    [columns.internal_flag]
    method = "none"               # never marked, never an anchor

Defaults: every floating-point column gets numeric marks when its expected rounding (its decimal grid,
or 4 significant digits of its median) keeps the change within 1 % of its median; columns of text,
integers, dates and timestamps that are nearly unique (≥ 50 % distinct) become anchors (at most four,
most distinct first); nothing else is touched.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import InputError
from ..fingerprint.fpv1 import ColumnSet, fingerprint
from .methods import CategoricalMark, MarkMethod, NumericMark, TextMark
from .methods.numeric import as_floats
from .scheme import VIA_MARK, VIA_VALUE, Scheme, Source, Target

RULE_METHODS = ("numeric", "categorical", "text", "key", "none")
DEFAULT_RELATIVE_TOLERANCE = 0.01
KEY_MIN_DISTINCT = 0.5
_TOP_KEYS = ("fraction", "code_length", "max_sources", "max_keys", "columns")
_RULE_KEYS = ("method", "rounding", "tolerance", "equivalent", "style")


@dataclass(frozen=True)
class ColumnRule:
    method: str
    rounding: float | None = None
    tolerance: float | None = None  # absolute
    relative_tolerance: float | None = None  # of the column's median |value|
    equivalent: tuple[tuple[str, ...], ...] = ()
    style: str = "whitespace"


@dataclass(frozen=True)
class Policy:
    fraction: int = 16
    code_length: int = 512
    max_sources: int = 4  # anchors per marked column, most robust first
    max_keys: int = 4
    columns: Mapping[str, ColumnRule] = field(default_factory=dict, hash=False)
    origin: str = "defaults"

    @classmethod
    def load(cls, path: Path) -> Policy:
        """Read a TOML (``.toml``) or YAML (``.yaml`` / ``.yml``) policy file."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the policy file: {exc}", path=str(path)) from exc
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml  # only policy files in YAML need it

            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                raise InputError(f"not valid YAML: {str(exc).splitlines()[0]}", path=str(path)) from exc
        elif path.suffix.lower() == ".toml":
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"not valid TOML: {exc}", path=str(path)) from exc
        else:
            raise InputError("a policy file is .toml, .yaml or .yml", path=str(path))
        return cls.from_mapping(data, origin=str(path))

    @classmethod
    def from_mapping(cls, data: Any, origin: str = "policy") -> Policy:
        if not isinstance(data, dict):
            raise InputError("a policy is a table of settings", path=origin)
        unknown = sorted(set(data) - set(_TOP_KEYS))
        if unknown:
            raise InputError(f"unknown policy setting(s) {', '.join(unknown)} (known: {', '.join(_TOP_KEYS)})",
                             path=origin, field=unknown[0])
        columns = data.get("columns", {})
        if not isinstance(columns, dict):
            raise InputError("'columns' must be a table of column rules", path=origin, field="columns")
        return cls(fraction=_int(data, "fraction", 16, origin), code_length=_int(data, "code_length", 512, origin),
                   max_sources=_int(data, "max_sources", 4, origin), max_keys=_int(data, "max_keys", 4, origin),
                   columns={str(name): _rule(str(name), rule, origin) for name, rule in columns.items()},
                   origin=origin)

    def scheme_for(self, table: pa.Table, key_id: str) -> tuple[Scheme, list[str]]:
        """The concrete scheme for ``table`` and notes on columns left unmarked (and why)."""
        missing = [name for name in self.columns if name not in table.column_names]
        if missing:
            raise InputError(f"the policy names column {missing[0]!r}, which the table does not have "
                             f"(it has: {', '.join(table.column_names)})", path=self.origin, field=missing[0])
        notes: list[str] = []
        marks: dict[str, MarkMethod] = {}
        key_candidates: list[tuple[float, str]] = []
        for name in table.column_names:
            rule = self.columns.get(name)
            column = table.column(name).combine_chunks()
            if rule is not None and rule.method == "none":
                continue
            if rule is not None and rule.method == "key":
                key_candidates.append((math.inf, name))
                continue
            mark = self._mark_for(name, column, rule, notes)
            if mark is not None:
                marks[name] = mark
            elif rule is None:
                ratio = _distinct_ratio(column)
                if ratio is not None and ratio >= KEY_MIN_DISTINCT:
                    key_candidates.append((ratio, name))
        if not marks:
            raise InputError("no column can carry marks: no floating-point column within tolerance and none "
                             "declared in a policy (numeric tolerance, categorical equivalents)", path=self.origin)
        keys = [name for _, name in sorted(key_candidates, key=lambda c: -c[0])][: max(self.max_keys, 0)]
        sources = [Source(name, VIA_VALUE) for name in keys]
        sources += [Source(name, VIA_MARK) for name, mark in marks.items() if mark.anchors]
        index = {(s.column, s.via): i for i, s in enumerate(sources)}
        targets = []
        for name, mark in marks.items():
            own = [index[(name, VIA_MARK)]] if mark.anchors else []
            others = [index[(k, VIA_VALUE)] for k in keys]
            others += [i for i, s in enumerate(sources) if s.via == VIA_MARK and s.column != name]
            order = (own + others)[: self.max_sources]
            if not order:
                raise InputError(f"column {name!r} has no stable column to anchor its marks: declare one "
                                 "with method = \"key\"", path=self.origin, field=name)
            targets.append(Target(name, mark.name, mark.params(), tuple(order)))
        used = {i for t in targets for i in t.sources}
        kept = [i for i in range(len(sources)) if i in used]
        renumber = {old: new for new, old in enumerate(kept)}
        scheme = Scheme(key_id, self.fraction, self.code_length, tuple(sources[i] for i in kept),
                        tuple(Target(t.column, t.method, t.params, tuple(renumber[i] for i in t.sources))
                              for t in targets))
        return scheme, notes

    def _mark_for(self, name: str, column: pa.Array, rule: ColumnRule | None, notes: list[str]) -> MarkMethod | None:
        if rule is None:
            if not pa.types.is_floating(column.type):
                return None
            return _numeric(name, column, ColumnRule("numeric"), notes, explicit=False)
        mark: MarkMethod | None
        if rule.method == "numeric":
            NumericMark(1.0).check_type(name, column.type)
            mark = _numeric(name, column, rule, notes, explicit=True)
        elif rule.method == "categorical":
            if not rule.equivalent:
                raise InputError("categorical marks need 'equivalent' classes", path=self.origin, field=name)
            mark = CategoricalMark(rule.equivalent)
            mark.check_type(name, column.type)
        else:
            mark = TextMark(rule.style)
            mark.check_type(name, column.type)
        return mark


def _int(data: Mapping[str, Any], key: str, default: int, origin: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{key} must be a positive integer", path=origin, field=key)
    return value


def _number(value: Any, name: str, key: str, origin: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(f"{key} must be a positive number", path=origin, field=f"{name}.{key}")
    return float(value)


def _rule(name: str, rule: Any, origin: str) -> ColumnRule:
    if not isinstance(rule, dict):
        raise InputError("a column rule is a table", path=origin, field=name)
    unknown = sorted(set(rule) - set(_RULE_KEYS))
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(_RULE_KEYS)})", path=origin,
                         field=f"{name}.{unknown[0]}")
    method = rule.get("method")
    if method not in RULE_METHODS:
        raise InputError(f"method must be one of {', '.join(RULE_METHODS)}", path=origin, field=f"{name}.method")
    rounding = _number(rule["rounding"], name, "rounding", origin) if "rounding" in rule else None
    tolerance = relative = None
    if "tolerance" in rule:
        value = rule["tolerance"]
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                relative = float(value.strip()[:-1]) / 100
            except ValueError:
                relative = -1.0
            if not relative > 0:
                raise InputError("tolerance must be a number or a percentage like '1%'", path=origin,
                                 field=f"{name}.tolerance")
        else:
            tolerance = _number(value, name, "tolerance", origin)
    equivalent = rule.get("equivalent", [])
    if not isinstance(equivalent, list) or not all(isinstance(c, list) for c in equivalent):
        raise InputError("equivalent must be a list of lists of values", path=origin, field=f"{name}.equivalent")
    style = rule.get("style", "whitespace")
    try:
        if method == "categorical" and equivalent:
            CategoricalMark([[str(v) for v in c] for c in equivalent])
        if method == "text":
            TextMark(str(style))
    except InputError as exc:
        raise InputError(exc.message, path=origin, field=f"{name}.{exc.field}") from exc
    return ColumnRule(str(method), rounding, tolerance, relative,
                      tuple(tuple(str(v) for v in c) for c in equivalent), str(style))


def _decimals(values: np.ndarray) -> int | None:
    """The fewest decimals (0–6) every value has, or None for full-precision floats."""
    sample = values[:20_000]
    for decimals in range(7):
        scaled = sample * 10.0 ** decimals
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return decimals
    return None


def _numeric(name: str, column: pa.Array, rule: ColumnRule, notes: list[str], *, explicit: bool) -> NumericMark | None:
    values = as_floats(column)
    values = values[np.isfinite(values)]
    if not values.size:
        notes.append(f"{name}: not marked (no finite values)")
        return None
    median = float(np.median(np.abs(values)))
    integer = pa.types.is_integer(column.type)
    decimals = 0 if integer else _decimals(values)
    if rule.rounding is not None:
        rounding = rule.rounding
    elif decimals is not None:
        rounding = 10.0 ** -decimals
    elif median > 0:
        rounding = 10.0 ** (math.floor(math.log10(median)) - 3)
    else:
        notes.append(f"{name}: not marked (every value is 0)")
        return None
    if decimals is not None and rounding < 10.0 ** -decimals:
        raise InputError(f"rounding {rounding:g} is finer than the column's own grid ({10.0 ** -decimals:g})",
                         field=f"{name}.rounding")
    mark = NumericMark(4 * rounding, decimals)
    if integer and not float(mark.q).is_integer():
        raise InputError("an integer column needs a whole-number rounding", field=f"{name}.rounding")
    tolerance = rule.tolerance if rule.tolerance is not None else (
        (rule.relative_tolerance or DEFAULT_RELATIVE_TOLERANCE) * median)
    if mark.max_change() > tolerance:
        message = (f"marks surviving rounding to {rounding:g} change values by up to {mark.max_change():g}, "
                   f"over the tolerance {tolerance:g}")
        if explicit:
            raise InputError(message, field=f"{name}.tolerance")
        notes.append(f"{name}: not marked ({message})")
        return None
    return mark


def _distinct_ratio(column: pa.Array) -> float | None:
    """Distinct non-null values per row for columns that can anchor marks; None for other types."""
    data_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if not (pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or pa.types.is_integer(data_type)
            or pa.types.is_temporal(data_type)):
        return None
    present = len(column) - column.null_count
    if present < max(1, len(column) // 2):
        return None
    # Counting distinct fp-v1 hashes is exact up to 64-bit collisions and far faster than comparing text;
    # numpy's integer sort plus a neighbour compare counts them ~10x faster than Arrow's hash-based count.
    hashes = np.sort(fingerprint(pa.table({"v": column}), ColumnSet(("v",), {})))
    distinct = int(hashes.size > 0) + int(np.count_nonzero(hashes[1:] != hashes[:-1]))
    return distinct / len(column)
