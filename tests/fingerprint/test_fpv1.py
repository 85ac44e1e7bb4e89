"""Tests of fp-v1: Spark's own vectors bit for bit, a from-the-spec XXH64 reference, and the invariances
DESIGN.md promises (column order, integer widths, float widths, -0.0 / NaN, file formats, slicing)."""

from __future__ import annotations

import importlib.util
import json
import math
import pickle
import struct
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthguard.errors import InputError
from synthguard.fingerprint import ColumnSet, fingerprint, fpv1
from synthguard.tabular import reader_for

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "fp_v1.json").read_text(encoding="utf-8"))
PROPERTY = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])


def _load_generator() -> ModuleType:
    # The vector file's type / value codec lives in the script that wrote it; it imports pyspark lazily.
    spec = importlib.util.spec_from_file_location("make_fp_vectors", ROOT / "scripts" / "make_fp_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_fp_vectors", module)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


def fp(table: pa.Table | pa.RecordBatch, columns: Sequence[str], normalisers: dict[str, str] | None = None,
       **kwargs: Any) -> list[int]:
    return [int(v) for v in fingerprint(table, ColumnSet(tuple(columns), normalisers or {}), **kwargs)]


# ---- Spark's vectors


def _case_table(case: dict[str, Any]) -> tuple[pa.Table, ColumnSet]:
    spec = case["column_set"]
    return GEN.arrow_table(case), ColumnSet(tuple(spec["columns"]), spec["normalisers"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_spark_vectors_match_bit_for_bit(case: dict[str, Any]) -> None:
    table, column_set = _case_table(case)
    assert [str(v) for v in fingerprint(table, column_set)] == case["expected"]


def test_vectors_cover_every_type_family() -> None:
    types = {c["type"] for case in VECTORS["cases"] for c in case["columns"]}
    for family in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
                   "float64", "bool", "date32", "date64", "string", "large_string", "string_view", "binary",
                   "large_binary", "binary_view", "dictionary<string>", "null"):
        assert family in types, family
    for prefix in ("timestamp[s", "timestamp[ms", "timestamp[us", "timestamp[ns", "decimal128(", "decimal256(",
                   "fixed_size_binary["):
        assert any(t.startswith(prefix) for t in types), prefix
    normalisers = {n for case in VECTORS["cases"] for n in case["column_set"]["normalisers"].values()}
    assert normalisers == set(fpv1.NORMALISERS)
    assert VECTORS["scheme"] == "fp-v1" and VECTORS["seed"] == fpv1.SEED


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_slices_chunks_blocks_and_threads_agree(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    table, column_set = _case_table(case)
    whole = fingerprint(table, column_set)
    rows = table.num_rows
    for start in range(rows):
        for length in {1, 2, rows - start}:
            if start + length <= rows:
                expected = whole[start:start + length]
                assert (fingerprint(table.slice(start, length), column_set) == expected).all()
                batch = table.combine_chunks().to_batches()[0]
                assert (fingerprint(batch.slice(start, length), column_set) == expected).all()
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1, 2), table.slice(3)])
    assert (fingerprint(chunked, column_set) == whole).all()
    monkeypatch.setattr(fpv1, "_BLOCK_ROWS", 2)  # many blocks, ranges split mid-chunk
    assert (fingerprint(chunked, column_set) == whole).all()
    assert (fingerprint(chunked, column_set, threads=3) == whole).all()


# ---- XXH64 from the spec, in plain Python, as an independent reference for the kernels

_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                           0x27D4EB2F165667C5)
_M = (1 << 64) - 1


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * _P2) & _M, 31) * _P1) & _M


def xxh64_reference(data: bytes, seed: int) -> int:
    n, p = len(data), 0

    def lane(at: int, size: int) -> int:
        return int.from_bytes(data[at:at + size], "little")

    if n >= 32:
        v = [(seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed, (seed - _P1) & _M]
        while p + 32 <= n:
            v = [_round(v[i], lane(p + 8 * i, 8)) for i in range(4)]
            p += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for value in v:
            h = ((h ^ _round(0, value)) * _P1 + _P4) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while p + 8 <= n:
        h = (_rotl(h ^ _round(0, lane(p, 8)), 27) * _P1 + _P4) & _M
        p += 8
    if p + 4 <= n:
        h = (_rotl(h ^ ((lane(p, 4) * _P1) & _M), 23) * _P2 + _P3) & _M
        p += 4
    while p < n:
        h = (_rotl(h ^ ((data[p] * _P5) & _M), 11) * _P1) & _M
        p += 1
    for shift, prime in ((33, _P2), (29, _P3)):
        h = ((h ^ (h >> shift)) * prime) & _M
    return h ^ (h >> 32)


def fp_reference(rows: Sequence[Sequence[bytes | None]]) -> list[int]:
    """fp-v1 of rows of already-canonical byte values (None = null), straight from DESIGN.md."""
    out = []
    for row in rows:
        h, mask = 42, 0
        for i, value in enumerate(row):
            if value is None:
                mask |= 1 << i
            else:
                h = xxh64_reference(value, h)
        out.append(xxh64_reference(mask.to_bytes(8, "little"), h))
    return out


def test_reference_xxh64_known_answers() -> None:
    assert xxh64_reference(b"", 0) == 0xEF46DB3751D8E999  # the xxHash test suite's empty input
    assert xxh64_reference(b"", 42) == (-7444071767201028348) & _M  # Spark: SELECT xxhash64('')
    assert xxh64_reference((1).to_bytes(8, "little"), 42) == (-7001672635703045582) & _M  # xxhash64(1L)


@PROPERTY
@given(st.binary(max_size=100), st.integers(0, _M))
def test_kernel_xxh64_matches_reference(data: bytes, seed: int) -> None:
    from synthguard.fingerprint import _xxh64

    assert _xxh64.xxh64_bytes(data, seed) == xxh64_reference(data, seed)
    if len(data) == 8:
        assert _xxh64.xxh64_u64(int.from_bytes(data, "little"), seed) == xxh64_reference(data, seed)


@PROPERTY
@given(st.lists(st.tuples(st.none() | st.binary(max_size=70), st.none() | st.binary(max_size=12)), min_size=1,
                max_size=40), st.sampled_from([pa.binary(), pa.large_binary(), pa.binary_view()]))
def test_binary_columns_match_reference(rows: list[tuple[bytes | None, bytes | None]], kind: pa.DataType) -> None:
    # Mixed lengths take the branch-free short-value path, equal lengths the branchy one; both must agree.
    table = pa.table({"a": pa.array([r[0] for r in rows], kind), "b": pa.array([r[1] for r in rows], kind)})
    assert fp(table, ["b", "a"]) == fp_reference(rows)
    same_length = [(None if a is None else (a + b"x" * 20)[:20], b) for a, b in rows]
    table = pa.table({"a": pa.array([r[0] for r in same_length], kind), "b": pa.array([r[1] for r in rows], kind)})
    assert fp(table, ["a", "b"]) == fp_reference(same_length)


# ---- invariances


@PROPERTY
@given(st.data())
def test_column_order_does_not_matter(data: st.DataObject) -> None:
    rows = data.draw(st.integers(1, 20))
    table = pa.table({
        "id": pa.array(data.draw(st.lists(st.none() | st.integers(-(2**63), 2**63 - 1), min_size=rows,
                                          max_size=rows)), pa.int64()),
        "name": pa.array(data.draw(st.lists(st.none() | st.text(), min_size=rows, max_size=rows)), pa.string()),
        "score": pa.array(data.draw(st.lists(st.none() | st.floats(), min_size=rows, max_size=rows)), pa.float64()),
        "ok": pa.array(data.draw(st.lists(st.none() | st.booleans(), min_size=rows, max_size=rows)), pa.bool_()),
    })
    order = data.draw(st.permutations(table.column_names))
    listed = data.draw(st.permutations(table.column_names))
    assert fp(table.select(order), listed) == fp(table, table.column_names)


@PROPERTY
@given(st.text(), st.sampled_from([pa.string(), pa.large_string()]))
def test_value_then_null_differs_from_null_then_value(value: str, kind: pa.DataType) -> None:
    table = pa.table({"x": pa.array([value, None], kind), "y": pa.array([None, value], kind)})
    first, second = fp(table, ["x", "y"])
    assert first != second


def _one(values: Sequence[Any], kind: pa.DataType) -> pa.Table:
    return pa.table({"v": pa.array(values, kind)})


@PROPERTY
@given(st.lists(st.none() | st.integers(-128, 127), min_size=1, max_size=30))
def test_integer_widths_agree(values: list[int | None]) -> None:
    expected = fp(_one(values, pa.int64()), ["v"])
    for kind in (pa.int8(), pa.int16(), pa.int32()):
        assert fp(_one(values, kind), ["v"]) == expected, kind
    nonnegative = [None if v is None else abs(v) for v in values]
    expected = fp(_one(nonnegative, pa.int64()), ["v"])
    for kind in (pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()):
        assert fp(_one(nonnegative, kind), ["v"]) == expected, kind


def test_uint64_above_int64_max_wraps_to_twos_complement() -> None:
    unsigned = pa.table({"v": pa.array([2**64 - 1, 2**63], pa.uint64())})
    signed = pa.table({"v": pa.array([-1, -(2**63)], pa.int64())})
    assert fp(unsigned, ["v"]) == fp(signed, ["v"])


@PROPERTY
@given(st.lists(st.none() | st.floats(width=32), min_size=1, max_size=30))
def test_float32_and_float64_agree(values: list[float | None]) -> None:
    assert fp(_one(values, pa.float32()), ["v"]) == fp(_one(values, pa.float64()), ["v"])


@PROPERTY
@given(st.lists(st.integers(0, (1 << 52) - 1), min_size=1, max_size=10), st.booleans())
def test_every_nan_and_both_zeros_agree(payloads: list[int], negative: bool) -> None:
    sign = 1 << 63 if negative else 0
    nans = [struct.unpack("<d", struct.pack("<Q", sign | 0x7FF0000000000000 | (p or 1)))[0] for p in payloads]
    assert all(math.isnan(x) for x in nans)
    table = pa.table({"x": pa.array(np.array(nans, dtype=np.float64))})
    canonical = pa.table({"x": pa.array([math.nan] * len(nans), pa.float64())})
    assert fp(table, ["x"]) == fp(canonical, ["x"])
    f32 = pa.table({"x": pa.array(np.array([p & 0x3FFFFF | 0x7F800001 for p in payloads], np.uint32).view(np.float32))})
    assert fp(f32, ["x"]) == fp(canonical, ["x"])
    zeros = fp(_one([0.0, -0.0], pa.float64()), ["v"]) + fp(_one([-0.0, 0.0], pa.float32()), ["v"])
    assert len(set(zeros)) == 1


def test_same_instant_in_any_unit_or_zone_agrees() -> None:
    seconds = [0, -1, 1_700_000_000, None]
    tables = [pa.table({"t": pa.array([None if s is None else s * scale for s in seconds], pa.int64())
                        .cast(pa.timestamp(unit, tz=tz))})
              for unit, scale in (("s", 1), ("ms", 1000), ("us", 10**6), ("ns", 10**9))
              for tz in (None, "UTC", "Asia/Kolkata")]
    expected = fp(tables[0], ["t"])
    assert all(fp(t, ["t"]) == expected for t in tables)
    days = pa.table({"d": pa.array([0, -1, 19782, None], pa.int32()).cast(pa.date32())})
    millis = pa.table({"d": pa.array([0, -86_400_000, 19782 * 86_400_000, None], pa.int64()).cast(pa.date64())})
    assert fp(days, ["d"]) == fp(millis, ["d"])


def test_nanoseconds_floor_to_microseconds() -> None:
    nanos = pa.table({"t": pa.array([-1, -1000, -1001, 1999], pa.int64()).cast(pa.timestamp("ns"))})
    micros = pa.table({"t": pa.array([-1, -1, -2, 1], pa.int64()).cast(pa.timestamp("us"))})
    assert fp(nanos, ["t"]) == fp(micros, ["t"])


def test_text_flavours_dictionary_and_decimal_text() -> None:
    values = ["a", None, "", "héllo wörld, a longer value of text", "a"]
    flavours = [pa.array(values, t) for t in (pa.string(), pa.large_string(), pa.string_view())]
    flavours.append(pa.array(values).dictionary_encode())
    expected = fp(pa.table({"s": flavours[0]}), ["s"])
    assert all(fp(pa.table({"s": f}), ["s"]) == expected for f in flavours)
    import decimal

    decimals = pa.table({"d": pa.array([decimal.Decimal("0E-10"), decimal.Decimal("1.5000000000")],
                                       pa.decimal128(20, 10))})
    text = pa.table({"d": pa.array(["0.0000000000", "1.5000000000"])})
    assert fp(decimals, ["d"]) == fp(text, ["d"])


def test_normalisers() -> None:
    emails = pa.table({"e": ["  Ana@Shop.Example ", "ana@shop.example", "ΟΔΟΣ@X", "οδος@x", "\tana@shop.example"]})
    values = fp(emails, ["e"], {"e": "lower-trim"})
    assert values[0] == values[1] and values[2] == values[3] and values[4] != values[1]
    phones = pa.table({"p": ["+44 (0)20 7946-0000", "44020 79460000"], "n": pa.array([44020, 44020], pa.int64())})
    a, b = fp(phones, ["p"], {"p": "digits-only"})
    assert a == b
    as_text = pa.table({"n": ["44020", "0044020"]})
    assert fp(phones, ["n"], {"n": "digits-only"})[0] == fp(as_text, ["n"], {"n": "digits-only"})[0]


# ---- file formats through synthguard.tabular


def _text(prefix: str) -> st.SearchStrategy[str]:
    # Text that CSV / JSON type inference keeps as text: a letter prefix, never a number, date or null marker.
    alphabet = st.characters(categories=["L", "N", "Zs"], exclude_characters="\r\n")
    return st.text(alphabet, max_size=12).map(lambda s: prefix + s)


_fractional = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).filter(
    lambda x: not float(x).is_integer())


def _write_jsonl(table: pa.Table, path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in table.to_pylist():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


_WRITERS: dict[str, Callable[[pa.Table, Path], None]] = {
    "csv": lambda t, p: pacsv.write_csv(t, p),
    "parquet": lambda t, p: pq.write_table(t, p),
    "jsonl": _write_jsonl,
}


@PROPERTY
@given(data=st.data())
def test_csv_parquet_and_jsonl_give_the_same_fingerprints(data: st.DataObject, tmp_path_factory: Any) -> None:
    rows = data.draw(st.integers(1, 15))

    def column(strategy: st.SearchStrategy[Any]) -> list[Any]:
        return data.draw(st.lists(strategy, min_size=rows, max_size=rows))

    table = pa.table({
        "id": pa.array(column(st.none() | st.integers(-(2**63), 2**63 - 1)), pa.int64()),
        "price": pa.array(column(st.none() | _fractional), pa.float64()),
        "name": pa.array(column(_text("n")), pa.string()),
        "city": pa.array(column(_text("c")), pa.string()),
        "active": pa.array(column(st.none() | st.booleans()), pa.bool_()),
    })
    columns = ["name", "id", "city", "price", "active"]
    expected = fp(table, columns)
    directory = tmp_path_factory.mktemp("formats")
    for suffix, write in _WRITERS.items():
        path = directory / f"table.{suffix}"
        write(table, path)
        got = [v for batch in reader_for(path).batches(path) for v in fp(batch, columns)]
        assert got == expected, suffix


# ---- the column set and input errors


def test_column_set_is_sorted_by_utf8_bytes_and_validated() -> None:
    column_set = ColumnSet(("😀", "Ａ", "é", "z", "Z", "a"), {"a": "trim"})
    assert column_set.columns == ("Z", "a", "z", "é", "Ａ", "😀")  # Java's UTF-16 order would put 😀 before Ａ
    assert column_set.bit("z") == 2
    assert ColumnSet.from_dict(column_set.to_dict()) == column_set
    assert pickle.loads(pickle.dumps(column_set)) == column_set
    assert hash(ColumnSet(("b", "a"))) == hash(ColumnSet(("a", "b")))
    assert ColumnSet(("a",), {"a": "trim"}) != ColumnSet(("a",), {"a": "lower"})
    with pytest.raises(InputError, match="duplicate"):
        ColumnSet(("a", "a"))
    with pytest.raises(InputError, match="at least one"):
        ColumnSet(())
    with pytest.raises(InputError, match="at most 64"):
        ColumnSet(tuple(f"c{i}" for i in range(65)))
    with pytest.raises(InputError, match="unknown normaliser 'upper'"):
        ColumnSet(("a",), {"a": "upper"})
    with pytest.raises(InputError, match="not in the set"):
        ColumnSet(("a",), {"b": "trim"})
    with pytest.raises(InputError, match="scheme"):
        ColumnSet.from_dict({"scheme": "fp-v2", "columns": ["a"]})


def test_missing_column_names_it_and_the_available_ones() -> None:
    table = pa.table({"id": [1], "email": ["a@x"]})
    with pytest.raises(InputError) as error:
        fingerprint(table, ColumnSet(("id", "phone", "zip")))
    message = str(error.value)
    assert "'phone'" in message and "'zip'" in message and "'email'" in message and "'id'" in message
    assert error.value.field == "phone"


@pytest.mark.parametrize("array", [
    pa.array([[1, 2]], pa.list_(pa.int64())),
    pa.array([{"a": 1}], pa.struct([("a", pa.int64())])),
    pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
    pa.array([1], pa.time64("us")),
    pa.array([1], pa.duration("s")),
], ids=["list", "struct", "map", "time", "duration"])
def test_unsupported_types_name_the_column(array: pa.Array) -> None:
    table = pa.table({"ok": [1], "bad": array})
    with pytest.raises(InputError, match="'bad'") as error:
        fingerprint(table, ColumnSet(("ok", "bad")))
    assert error.value.field == "bad"


def test_other_input_errors() -> None:
    with pytest.raises(InputError, match="normaliser 'trim' applies to text"):
        fingerprint(pa.table({"f": [1.5]}), ColumnSet(("f",), {"f": "trim"}))
    with pytest.raises(InputError, match="out of range"):
        fingerprint(pa.table({"t": pa.array([2**62], pa.int64()).cast(pa.timestamp("s"))}), ColumnSet(("t",)))
    with pytest.raises(InputError, match="more than once"):
        fingerprint(pa.table([pa.array([1]), pa.array([2])], names=["a", "a"]), ColumnSet(("a",)))
    with pytest.raises(InputError, match="threads"):
        fingerprint(pa.table({"a": [1]}), ColumnSet(("a",)), threads=0)


def test_empty_input_and_all_null_columns() -> None:
    empty = pa.table({"a": pa.array([], pa.int64())})
    assert fingerprint(empty, ColumnSet(("a",))).dtype == np.uint64
    assert len(fingerprint(empty, ColumnSet(("a",)))) == 0
    nulls = pa.table({"a": pa.nulls(3), "b": pa.array([None, None, None], pa.string())})
    assert fp(nulls, ["a"]) == fp(nulls, ["b"]) == fp_reference([[None]] * 3)
