"""Generate tests/vectors/fp_v1.json: fp-v1 test vectors computed by Apache Spark's own ``xxhash64``.

DESIGN.md requires the gate, the fingerprint index and the Spark adapter to agree bit for bit on fp-v1.
This script is the reference for the Spark side: :func:`spark_fp_v1_sql` is the *Spark adapter
definition* of fp-v1, written only in Spark SQL (canonical casts of the sorted columns, the null
bitmask, ``xxhash64``, the unsigned reinterpretation). Each case below is an Arrow table with explicit
types; it is written to Parquet with pyarrow, read back by Spark (the path a Spark job takes), and the
SQL expression's result is stored as an unsigned decimal string. ``tests/fingerprint/test_fpv1.py``
rebuilds each table with :func:`arrow_table` and checks that ``synthguard.fingerprint.fingerprint`` gives
the same numbers.

Run (needs the ``pyspark`` package and Java 17; Spark runs in-process as ``local[1]``, no UI, no network)::

    .venv/bin/python scripts/make_fp_vectors.py            # writes tests/vectors/fp_v1.json
    .venv/bin/python scripts/make_fp_vectors.py --check    # recomputes and fails if the file differs

Vector file format (deterministic: cases in definition order, keys sorted, two-space indent, each list of
values on one line, UTF-8)::

    {"scheme": "fp-v1", "seed": 42, "spark_version": "...", "generator": "...", "cases": [
      {"name": "...", "column_set": {"columns": [...], "normalisers": {...}},
       "columns": [{"name": "...", "type": "<type spec>", "values": [...]}, ...],
       "spark_sql": "<the expression Spark evaluated>", "expected": ["<unsigned 64-bit decimal>", ...]}]}

Type specs (see :func:`arrow_type`): ``int8`` … ``uint64``, ``float16|32|64``, ``bool``, ``date32``,
``date64``, ``timestamp[<unit>]`` or ``timestamp[<unit>, tz=<zone>]``, ``decimal32|64|128|256(<p>,<s>)``,
``string``, ``large_string``, ``string_view``, ``binary``, ``large_binary``, ``binary_view``,
``fixed_size_binary[<n>]``, ``dictionary<string>`` (int32 indices), ``null``.

Value encoding (see :func:`arrow_array`): ``null`` is a null; integers and bools as JSON; floats as
strings (Python ``float()`` syntax such as ``"-0.0"``, ``"nan"``, ``"inf"``, or ``"0x"`` + the IEEE bits in
hex for a NaN with a payload); dates and timestamps as integers in the type's own unit (days for
``date32``, milliseconds for ``date64``); decimals as strings; binary values as hex strings; text as JSON
strings.

The Spark session is pinned: ``spark.sql.session.timeZone=UTC`` (only for display; the adapter's
expressions do not depend on it), ``spark.sql.legacy.parquet.nanosAsLong=true`` (Spark cannot read
nanosecond timestamps otherwise; they arrive as bigint nanoseconds and the adapter floors them to
microseconds), ``spark.sql.caseSensitive=true`` (fp-v1 column names are case-sensitive: "z" and "Z"
are two columns), and the JVM's default locale must not be Turkish, Azeri or Lithuanian, because Spark's
``lower`` uses ``String.toLowerCase()`` in the default locale.
"""

from __future__ import annotations

import argparse
import decimal
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors" / "fp_v1.json"
ROW_COLUMN = "__fp_v1_row"

# ---- type and value codec (shared with tests/fingerprint/test_fpv1.py)

_SIMPLE_TYPES: Mapping[str, Callable[[], pa.DataType]] = {
    "int8": pa.int8, "int16": pa.int16, "int32": pa.int32, "int64": pa.int64,
    "uint8": pa.uint8, "uint16": pa.uint16, "uint32": pa.uint32, "uint64": pa.uint64,
    "float16": pa.float16, "float32": pa.float32, "float64": pa.float64, "bool": pa.bool_,
    "date32": pa.date32, "date64": pa.date64, "string": pa.string, "large_string": pa.large_string,
    "string_view": pa.string_view, "binary": pa.binary, "large_binary": pa.large_binary,
    "binary_view": pa.binary_view, "null": pa.null,
}
_TIMESTAMP = re.compile(r"timestamp\[(s|ms|us|ns)(?:, tz=([^\]]+))?\]")
_DECIMAL = re.compile(r"decimal(32|64|128|256)\((\d+),(-?\d+)\)")
_FIXED = re.compile(r"fixed_size_binary\[(\d+)\]")
_DECIMALS: Mapping[str, Callable[[int, int], pa.DataType]] = {
    "32": pa.decimal32, "64": pa.decimal64, "128": pa.decimal128, "256": pa.decimal256,
}


def arrow_type(spec: str) -> pa.DataType:
    """The Arrow type a vector's type spec names."""
    if spec in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[spec]()
    if spec == "dictionary<string>":
        return pa.dictionary(pa.int32(), pa.string())
    if match := _TIMESTAMP.fullmatch(spec):
        return pa.timestamp(match.group(1), tz=match.group(2))
    if match := _DECIMAL.fullmatch(spec):
        return _DECIMALS[match.group(1)](int(match.group(2)), int(match.group(3)))
    if match := _FIXED.fullmatch(spec):
        return pa.binary(int(match.group(1)))
    raise ValueError(f"unknown type spec {spec!r}")


def _float_value(text: str, dtype: type[np.floating[Any]]) -> Any:
    if text.startswith("0x"):
        bits = np.array([int(text, 16)], dtype=np.uint64 if dtype == np.float64 else np.uint32)
        return bits.view(dtype)[0]
    return dtype(float(text))


def arrow_array(spec: str, values: Sequence[Any]) -> pa.Array:
    """Build one column from its type spec and JSON values (encoding in the module docstring)."""
    t = arrow_type(spec)
    nulls = np.array([v is None for v in values], dtype=bool)
    if pa.types.is_null(t):
        return pa.nulls(len(values))
    if pa.types.is_floating(t):
        dtype = t.to_pandas_dtype()
        data = np.array([_float_value(v, dtype) if v is not None else 0 for v in values], dtype=dtype)
        return pa.array(data, type=t, mask=nulls)
    if pa.types.is_date32(t):
        return pa.array(values, type=pa.int32()).cast(t)
    if pa.types.is_date64(t) or pa.types.is_timestamp(t):
        return pa.array(values, type=pa.int64()).cast(t)
    if pa.types.is_decimal(t):
        return pa.array([None if v is None else decimal.Decimal(v) for v in values], type=t)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t) \
            or pa.types.is_fixed_size_binary(t):
        return pa.array([None if v is None else bytes.fromhex(v) for v in values], type=t)
    if pa.types.is_dictionary(t):
        return pa.array(values, type=pa.string()).dictionary_encode()
    return pa.array(values, type=t)


def arrow_table(case: Mapping[str, Any]) -> pa.Table:
    """The Arrow table of one vector case, columns in the order the case lists them."""
    columns = case["columns"]
    return pa.table({c["name"]: arrow_array(c["type"], c["values"]) for c in columns})


# ---- the Spark adapter definition of fp-v1

_NORMALISER_SQL: Mapping[str, str] = {
    "trim": "trim({})",                            # ASCII spaces (U+0020) only
    "lower": "lower({})",                          # String.toLowerCase(), non-Turkic default locale
    "lower-trim": "lower(trim({}))",
    "digits-only": "regexp_replace({}, '[^0-9]', '')",
}


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _utf8_sorted(names: Iterable[str]) -> list[str]:
    # UTF-8 byte order = code point order (Python's str order); NOT Java's String.compareTo (UTF-16 units).
    return sorted(names, key=lambda n: n.encode("utf-8"))


def spark_canonical_sql(column: str, spark_type: Any, *, normaliser: str | None = None, uint64: bool = False,
                        nanos_as_long: bool = False) -> str:
    """Spark SQL for one column's fp-v1 canonical value (bigint, double, string or binary).

    ``spark_type`` is the column's ``pyspark.sql.types.DataType`` as Spark reads it. Two facts about the
    source that Spark's type cannot tell are passed explicitly: ``uint64`` for a Parquet UINT_64 column
    (Spark reads it as decimal(20,0); fp-v1 wraps values above 2**63 - 1 to negative, like a
    two's-complement reinterpretation), and ``nanos_as_long`` for a nanosecond timestamp read with
    ``spark.sql.legacy.parquet.nanosAsLong`` (bigint nanoseconds; fp-v1 floors to microseconds).
    """
    from pyspark.sql import types as T

    c = _quote(column)
    if isinstance(spark_type, T.DecimalType) and uint64:
        as_bigint = f"CASE WHEN {c} > 9223372036854775807 THEN cast({c} - 18446744073709551616 AS BIGINT) " \
                    f"ELSE cast({c} AS BIGINT) END"
        return _NORMALISER_SQL[normaliser].format(f"cast({c} AS STRING)") if normaliser else as_bigint
    if normaliser is not None:
        return _NORMALISER_SQL[normaliser].format(c if isinstance(spark_type, T.StringType)
                                                  else f"cast({c} AS STRING)")
    if isinstance(spark_type, T.LongType) and nanos_as_long:
        return f"({c} div 1000 - CASE WHEN {c} % 1000 < 0 THEN 1 ELSE 0 END)"
    if isinstance(spark_type, T.ByteType | T.ShortType | T.IntegerType | T.LongType | T.BooleanType
                  | T.NullType):
        return f"cast({c} AS BIGINT)"
    if isinstance(spark_type, T.FloatType | T.DoubleType):
        return f"CASE WHEN isnan({c}) THEN double('NaN') WHEN {c} = 0.0D THEN 0.0D ELSE cast({c} AS DOUBLE) END"
    if isinstance(spark_type, T.DateType):
        return f"cast(unix_date({c}) AS BIGINT)"
    if isinstance(spark_type, T.TimestampType):
        return f"unix_micros({c})"
    if isinstance(spark_type, T.TimestampNTZType):
        # Zone-less: its wall-clock reading as UTC, independent of spark.sql.session.timeZone.
        return f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', {c})"
    if isinstance(spark_type, T.DecimalType):
        return f"cast({c} AS STRING)"  # plain digits, exactly `scale` decimals, no exponent
    if isinstance(spark_type, T.StringType | T.BinaryType):
        return c
    raise ValueError(f"fp-v1 has no canonical form for {column!r} of type {spark_type}")


def spark_fp_v1_sql(schema: Any, columns: Sequence[str], normalisers: Mapping[str, str] | None = None, *,
                    uint64_columns: Iterable[str] = (), nanos_columns: Iterable[str] = ()) -> str:
    """The Spark adapter's fp-v1: a Spark SQL expression giving each row's fingerprint as an unsigned decimal.

    ``xxhash64(<canonical casts of the columns sorted by UTF-8 bytes>, <null bitmask>)`` where the bitmask
    is a bigint with bit i set when the i-th sorted column is null (bit 63 wraps to the sign bit), and the
    signed result is reinterpreted as unsigned (``pmod(h, 2**64)``). ``schema`` is the DataFrame's
    ``StructType``. The result is a ``decimal(20,0)``; cast it to string to carry all 64 bits.
    """
    normalisers = dict(normalisers or {})
    uint64s, nanos = set(uint64_columns), set(nanos_columns)
    ordered = _utf8_sorted(columns)
    values = [spark_canonical_sql(name, schema[name].dataType, normaliser=normalisers.get(name),
                                  uint64=name in uint64s, nanos_as_long=name in nanos) for name in ordered]
    bits = [f"CASE WHEN {_quote(name)} IS NULL THEN shiftleft(1L, {i}) ELSE 0L END" for i, name in enumerate(ordered)]
    mask = " | ".join(f"({b})" for b in bits)
    signed = f"xxhash64({', '.join([*values, f'({mask})'])})"
    return f"pmod(cast({signed} AS DECIMAL(20,0)), 18446744073709551616)"


# ---- the cases

def _col(name: str, spec: str, values: Sequence[Any]) -> dict[str, Any]:
    return {"name": name, "type": spec, "values": list(values)}


def _case(name: str, columns: Sequence[dict[str, Any]], set_columns: Sequence[str] | None = None,
          normalisers: Mapping[str, str] | None = None) -> dict[str, Any]:
    listed = list(set_columns) if set_columns is not None else [c["name"] for c in columns]
    return {"name": name, "columns": list(columns),
            "column_set": {"columns": listed, "normalisers": dict(normalisers or {})}}


def _int_cases() -> list[dict[str, Any]]:
    ranges = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-(2**31), 2**31 - 1),
              "int64": (-(2**63), 2**63 - 1), "uint8": (0, 255), "uint16": (0, 65535),
              "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1)}
    cases = []
    for spec, (low, high) in ranges.items():
        values = [0, 1, low, high, None, 42 if low >= 0 else -1, 7]
        if spec == "uint64":
            values += [2**63 - 1, 2**63, 2**64 - 2]
        cases.append(_case(f"integer {spec}", [_col("v", spec, values)]))
    same = [0, 1, -1, 127, None, -128]
    cases.append(_case("integers of every width, same values", [
        _col("i8", "int8", same), _col("i16", "int16", same), _col("i32", "int32", same),
        _col("i64", "int64", same), _col("u32", "uint32", [0, 1, None, 127, None, 4294967295]),
    ]))
    return cases


def _float_cases() -> list[dict[str, Any]]:
    f64 = ["0.0", "-0.0", "nan", "-nan", "0x7ff0000000000001", "0xfff8000000000123", "inf", "-inf", "1.5", "-2.25",
           "1e-310", "1.7976931348623157e308", "0.1", None]
    f32 = ["0.0", "-0.0", "nan", "0x7fc00001", "0xffbfffff", "inf", "-inf", "1.5", "-2.25", "1e-40",
           "3.4028234663852886e38", "0.1", None, "16777217.0"]
    f16 = ["0.0", "-0.0", "nan", "inf", "-inf", "1.5", "-2.25", "6e-08", "65504.0", "0.1", None, "1.0", "2.0", "3.0"]
    return [
        _case("float64 specials", [_col("x", "float64", f64)]),
        _case("float32 specials", [_col("x", "float32", f32)]),
        _case("float16 (Spark sees float32)", [_col("x", "float16", f16)]),
        _case("float32 and float64 of representable values", [
            _col("a", "float32", ["1.5", "-0.0", "nan", None, "0.25", "1e+20"]),
            _col("b", "float64", ["1.5", "0.0", "0x7ff8000000000001", "2.0", None, "1e+20"]),
        ]),
    ]


def _temporal_cases() -> list[dict[str, Any]]:
    day = 86_400_000
    return [
        _case("date32", [_col("d", "date32", [0, 1, -1, 19782, -719162, 2932896, None])]),
        _case("date64 (whole days)", [_col("d", "date64", [0, day, -day, 19782 * day, None, -719162 * day])]),
        _case("timestamps of every unit", [
            _col("ts_s", "timestamp[s, tz=UTC]", [0, 1, -1, 1_700_000_000, None, -62135596800]),
            _col("ts_ms", "timestamp[ms, tz=Europe/Paris]", [0, 1, -1, 1_700_000_000_123, None, 999]),
            _col("ts_us", "timestamp[us, tz=America/New_York]", [0, 1, -1, 1_700_000_000_123_456, None, 999_999]),
            _col("ts_ns", "timestamp[ns, tz=UTC]", [0, 1, -1, 1_700_000_000_123_456_789, None, -1001]),
        ]),
        _case("zone-less timestamps", [
            _col("naive_us", "timestamp[us]", [0, -1, 1_700_000_000_123_456, None, 86_399_999_999]),
            _col("naive_ms", "timestamp[ms]", [0, -1, 1_700_000_000_123, None, 1]),
        ]),
        _case("nanosecond timestamps floor", [
            _col("t", "timestamp[ns]", [-1, -999, -1000, -1001, 999, 1000, 1999, None, 2**63 - 1, -(2**63) + 1]),
        ]),
    ]


def _decimal_cases() -> list[dict[str, Any]]:
    return [
        _case("decimal128(5,2)", [_col("m", "decimal128(5,2)", ["12.30", "-0.50", "0.00", "999.99", "-999.99", None,
                                                                 "1.00"])]),
        _case("decimal128(20,10) tiny and zero", [_col("m", "decimal128(20,10)", [
            "0.0000000000", "0.0000000100", "-0.0000000001", "1234567890.0123456789", None, "0.0000010000"])]),
        _case("decimal128(38,0) and (38,38)", [
            _col("big", "decimal128(38,0)", ["99999999999999999999999999999999999999", "-1", "0", None]),
            _col("frac", "decimal128(38,38)", ["0.00000000000000000000000000000000000001", None, "0",
                                               "-0.99999999999999999999999999999999999999"]),
        ]),
        _case("decimal32, decimal64 and decimal256", [
            _col("d32", "decimal32(7,3)", ["1.500", "-0.001", None, "9999.999"]),
            _col("d64", "decimal64(18,4)", ["12.3000", None, "-99999999999999.9999", "0.0000"]),
            _col("d256", "decimal256(38,6)", [None, "0.000001", "-12345678901234567890123456789012.123456", "0"]),
        ]),
    ]


def _ascii(length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@"
    return "".join(alphabet[(i * 7 + length) % len(alphabet)] for i in range(length))


def _string_cases() -> list[dict[str, Any]]:
    # Every length 0..72 crosses XXH64's < 4, < 8, < 32 and >= 32 byte paths and each tail combination.
    lengths = [_ascii(n) for n in range(73)]
    multibyte = ["é", "ß", "日本語", "😀", "👩‍👩‍👧‍👦", "Ünïcödé " * 5, "€" * 11, "中文字符串很长" * 3,
                 "🎉" * 9, "\u0000", "a\u0000b", "tab\there", "line\nbreak", "  spaced  ", "İstanbul"]
    return [
        _case("ascii strings of length 0 to 72", [_col("s", "string", lengths)]),
        _case("unicode strings", [_col("s", "string", [*multibyte, "", None])]),
        _case("string flavours agree", [
            _col("s", "string", ["x", "", None, "héllo", "a" * 40]),
            _col("ls", "large_string", ["y", "", "z", None, "b" * 33]),
            _col("sv", "string_view", ["a longer string over twelve bytes", "", "short", None, "é"]),
            _col("dict", "dictionary<string>", ["red", "green", None, "red", ""]),
        ]),
    ]


def _binary_cases() -> list[dict[str, Any]]:
    return [_case("binary flavours", [
        _col("b", "binary", ["", "00", "deadbeef", None, "ff" * 40]),
        _col("lb", "large_binary", ["0102", None, "", "00" * 8, "ab"]),
        _col("fb", "fixed_size_binary[4]", ["00000000", "ffffffff", None, "01020304", "cafebabe"]),
        _col("bv", "binary_view", ["00112233445566778899aabbccddeeff", None, "", "01", "7f" * 13]),
    ])]


def _null_cases() -> list[dict[str, Any]]:
    return [
        _case("(a, NULL) vs (NULL, a)", [
            _col("first", "string", ["a", None, "a", None, None]),
            _col("second", "string", [None, "a", "a", None, ""]),
        ]),
        _case("nulls in every position of three columns", [
            _col("a", "int64", [1, None, 1, 1, None, None, 1, None]),
            _col("b", "int64", [2, 2, None, 2, None, 2, None, None]),
            _col("c", "string", ["3", "3", "3", None, "3", None, None, None]),
        ]),
        _case("null-type column", [_col("n", "null", [None, None, None]), _col("v", "int32", [1, None, 3])]),
        _case("bool", [_col("flag", "bool", [True, False, None, True, False])]),
        _case("bool and integer 0/1", [_col("a", "bool", [True, False, None]), _col("b", "int8", [1, 0, None])]),
        _case("64 columns (bit 63 of the mask)", [
            _col(f"c{i:02d}", "int8", [i % 3, None if i == 63 else 1, None if i % 2 else 2, None])
            for i in range(64)
        ]),
    ]


def _name_and_normaliser_cases() -> list[dict[str, Any]]:
    return [
        _case("column names sorted by UTF-8 bytes", [
            _col("z", "int64", [1, 2]), _col("Z", "int64", [3, 4]), _col("a", "string", ["x", None]),
            _col("é", "int32", [5, 6]), _col("Ａ", "int64", [7, None]), _col("😀", "string", ["y", "z"]),
            _col("a b", "bool", [True, None]), _col("_", "float64", ["1.0", "2.0"]),
        ], set_columns=["😀", "Ａ", "é", "z", "a b", "a", "_", "Z"]),
        _case("subset of the columns", [
            _col("id", "int64", [1, 2, 3]), _col("email", "string", ["a@x", "b@x", None]),
            _col("ignored", "string", ["p", "q", "r"]),
        ], set_columns=["id", "email"]),
        _case("normaliser lower-trim (e-mail)", [
            _col("email", "string", ["  Ana@Shop.Example ", "ana@shop.example", "\tAna@Shop.Example", "ΟΔΟΣ@X.GR",
                                     "İNCI@X.TR", "STRASSE@ẞ.DE", "   ", "", None, "ÅSA@K.SE"]),
            _col("id", "int32", [1, 1, 1, 2, 3, 4, 5, 6, 7, 8]),
        ], normalisers={"email": "lower-trim"}),
        _case("normalisers trim and lower", [
            _col("t", "string", ["  a  ", "\ta\t", " ", "", None, "x y", "  É  "]),
            _col("l", "large_string", ["ABC", "ΣΑΣ ΑΣ", "ǅ", "", None, "KΩÅ", "Ꭰ"]),
        ], normalisers={"t": "trim", "l": "lower"}),
        _case("normaliser digits-only (phone)", [
            _col("phone", "string", ["+44 (0)20 7946-0000", "020 7946 0000", "٣٤٥", "no digits", "", None, "0044209"]),
            _col("phone_int", "int64", [442079460000, 2079460000, -345, None, 0, 7, 44209]),
        ], normalisers={"phone": "digits-only", "phone_int": "digits-only"}),
        _case("normaliser on dictionary strings", [
            _col("tier", "dictionary<string>", [" Gold", "gold ", None, "GOLD", "Silver"]),
        ], normalisers={"tier": "lower-trim"}),
    ]


def _mixed_case() -> dict[str, Any]:
    return _case("mixed table of eight columns", [
        _col("id", "int64", [1, 2, 3, 4, None]),
        _col("qty", "int32", [10, -5, None, 0, 7]),
        _col("price", "float64", ["9.99", "-0.0", "nan", None, "100.5"]),
        _col("name", "string", ["Alice Example-01", "Bob", "", "Dörte Müller", None]),
        _col("active", "bool", [True, False, None, True, True]),
        _col("signup", "date32", [19000, 19500, None, 0, -1]),
        _col("last_seen", "timestamp[us, tz=UTC]", [1_700_000_000_000_000, None, 0, -1, 5]),
        _col("note", "string", [None, "vip", None, "call back", "x"]),
    ])


def all_cases() -> list[dict[str, Any]]:
    return [*_int_cases(), *_float_cases(), *_temporal_cases(), *_decimal_cases(), *_string_cases(),
            *_binary_cases(), *_null_cases(), *_name_and_normaliser_cases(), _mixed_case()]


# ---- running Spark

def _spark_session() -> Any:
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[1]").appName("synthguard-fp-v1-vectors")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.legacy.parquet.nanosAsLong", "true")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.caseSensitive", "true")
            .getOrCreate())


def _parquet_for_spark(table: pa.Table) -> pa.Table:
    """The table Spark reads: a row number for ordering, float16 widened to float32 (Spark has no float16)."""
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        columns[name] = column.cast(pa.float32()) if pa.types.is_float16(column.type) else column
    columns[ROW_COLUMN] = pa.array(range(table.num_rows), type=pa.int64())
    return pa.table(columns)


def spark_expected(spark: Any, case: Mapping[str, Any], path: Path) -> tuple[str, list[str]]:
    """Spark's fp-v1 of every row of ``case`` (staged as Parquet at ``path``): the SQL and the unsigned decimals."""
    table = arrow_table(case)
    pq.write_table(_parquet_for_spark(table), path)
    frame = spark.read.parquet(str(path))
    types = {c["name"]: arrow_type(c["type"]) for c in case["columns"]}
    uint64s = [n for n, t in types.items() if pa.types.is_uint64(t)]
    nanos = [n for n, t in types.items() if pa.types.is_timestamp(t) and t.unit == "ns"]
    spec = case["column_set"]
    sql = spark_fp_v1_sql(frame.schema, spec["columns"], spec["normalisers"], uint64_columns=uint64s,
                          nanos_columns=nanos)
    rows = frame.selectExpr(ROW_COLUMN, f"cast(({sql}) AS STRING) AS fp").orderBy(ROW_COLUMN).collect()
    return sql, [row["fp"] for row in rows]


def build(cases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    spark = _spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        out = []
        with tempfile.TemporaryDirectory(prefix="fp-v1-") as tmp:
            for index, case in enumerate(cases):
                sql, expected = spark_expected(spark, case, Path(tmp) / f"case-{index}.parquet")
                out.append({**case, "spark_sql": sql, "expected": expected})
        return {"scheme": "fp-v1", "seed": 42, "spark_version": spark.version, "cases": out,
                "generator": "scripts/make_fp_vectors.py (PySpark xxhash64 over Parquet; see spark_fp_v1_sql)"}
    finally:
        spark.stop()


def _render(value: Any, indent: str) -> str:
    # Like json.dumps(indent=2, sort_keys=True), but a list of scalars stays on one line.
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {_render(value[key], inner)}" for key in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return "[\n" + ",\n".join(inner + _render(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def render(vectors: Mapping[str, Any]) -> str:
    """The vector file's text: deterministic (sorted keys, fixed layout), UTF-8, one line per value list."""
    return _render(dict(vectors), "") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS, help="where to write the vectors")
    parser.add_argument("--check", action="store_true", help="recompute and compare instead of writing")
    args = parser.parse_args(argv)
    text = render(build(all_cases()))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        sys.stderr.write(f"{args.out}: {'up to date' if same else 'DIFFERS from what Spark computes now'}\n")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    sys.stderr.write(f"wrote {len(json.loads(text)['cases'])} cases to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
