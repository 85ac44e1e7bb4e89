"""fp-v1, the row fingerprint (DESIGN.md "fp-v1: the row fingerprint"), computed over whole Arrow columns.

The gate, the fingerprint index and the Spark adapter must agree bit for bit, so every choice the design
leaves open is pinned down here, and each one is what Spark SQL computes with the casts that
``scripts/make_fp_vectors.py`` (``spark_fp_v1_sql``) uses. ``tests/vectors/fp_v1.json`` holds vectors
computed by PySpark's own ``xxhash64``.

Column set
    The listed columns, ordered by the UTF-8 bytes of their names (Python's ``str`` order; *not* Java's
    ``String.compareTo``, which orders UTF-16 units). At most 64 columns, because of the bitmask.

Canonical values (each becomes 8 little-endian bytes or a byte string)
    * every integer type → int64. uint64 values above 2**63 - 1 are reinterpreted as two's complement
      (2**64 - 1 hashes like -1); Spark reads Parquet UINT_64 as decimal(20,0), so its adapter applies
      the same wrap explicitly.
    * bool → int64 0 / 1.
    * float16 / float32 → float64 (exact); -0.0 → 0.0; every NaN → 0x7ff8000000000000; ±inf as is.
    * date32 → int64 days since 1970-01-01; date64 → floor(milliseconds / 86,400,000) days.
    * timestamp, any unit, with or without time zone → int64 microseconds since the epoch in UTC (Arrow
      stores UTC instants; a zone-less timestamp is read as UTC wall-clock time). Seconds and milliseconds
      are scaled up (a value that overflows int64 microseconds is an ``InputError``); nanoseconds are
      divided rounding toward negative infinity (floor), like Spark's conversion of instants.
    * decimal → its plain string with exactly ``scale`` digits after the point and no exponent
      ("12.30" for 12.3 in decimal(5,2), "0.0000000000" for zero in decimal(20,10), "-0.50"), which is
      Spark's ``cast(decimal as string)``. A negative scale gives the integer digits ("12300").
    * string / large_string / string_view → UTF-8 bytes, after the column's normaliser if it has one.
    * binary / large_binary / binary_view / fixed_size_binary → the bytes.
    * dictionary-encoded → the decoded values; the null type → null in every row.
    * anything else (list, struct, map, time, duration, interval, …) → ``InputError`` naming the column.

Normalisers (named in the column set, applied to strings before hashing; each is one Spark SQL function)
    * ``trim``: remove leading and trailing ASCII spaces (U+0020) only, like Spark's ``trim(x)``; tabs,
      newlines and other white space are kept.
    * ``lower``: full Unicode lower-casing as Java's ``String.toLowerCase`` does it in a non-Turkic locale,
      which is Spark's ``lower(x)``: Python's ``str.lower`` (final sigma, "İ" → "i̇" included). ASCII rows
      take a vectorised path; only rows with non-ASCII characters go through Python.
    * ``lower-trim``: ``lower(trim(x))`` (e-mail addresses).
    * ``digits-only``: keep the ASCII digits 0-9 and drop every other character (phone numbers), like
      ``regexp_replace(x, '[^0-9]', '')``; a value with no digits becomes the empty string, not null.
    A normaliser on an integer column applies to its base-10 text (Spark: ``cast(x as string)``), so a
    phone number read as a number and one read as text agree. On any other type it is an ``InputError``.

Hash
    ``h = 42``; for each column in order, for each non-null value ``h = XXH64(bytes(v), seed=h)``; a null
    leaves ``h`` unchanged and sets bit i (the column's position in the set) of a 64-bit mask; finally
    ``h = XXH64(mask as 8 little-endian bytes, seed=h)``. The result is ``h`` as an unsigned 64-bit integer.

Implementation: the XXH64 kernels are hand-written in numba (:mod:`._xxh64`) because no maintained library
computes chained-seed XXH64 over Arrow columns: the ``xxhash`` package hashes one buffer per Python call,
pyarrow.compute has no XXH64, and polars' and DuckDB's row hashes are different functions. Each column is
one kernel pass over its Arrow buffers (validity bitmap, values or offsets + data, honouring the array's
offset, so sliced batches cost nothing); only bools (unpacked to bytes), float16/32 (widened), date64 and
nanosecond timestamps (divided), decimals and normalised text (rendered by pyarrow.compute) make a
temporary copy. Rows are processed in blocks of 64 Ki so the running hashes stay in cache across columns,
and ``threads > 1`` splits the rows into ranges hashed on a thread pool (the kernels release the GIL).
Measured on this project's 2-core machine, single-threaded, 8 mixed columns (int64, int32, float64,
string of ~20 characters, bool, date32, timestamp, string with 30 % nulls): about 22 M rows/s per core.
"""

from __future__ import annotations

import concurrent.futures as cf
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from . import _xxh64 as k

__all__ = ["MAX_COLUMNS", "NORMALISERS", "SEED", "ColumnSet", "fingerprint"]

SEED = 42
MAX_COLUMNS = 64
# Rows per block: the running hashes and masks of a block (2 x 8 bytes a row) stay in L2 across columns.
_BLOCK_ROWS = 1 << 16
_DAY_MS = 86_400_000


def _utf8_key(name: str) -> bytes:
    return name.encode("utf-8")


# ---- normalisers


def _trim(values: pa.Array) -> pa.Array:
    return pc.utf8_trim(values, characters=" ")


def _lower(values: pa.Array) -> pa.Array:
    lowered = pc.ascii_lower(values)
    non_ascii = pc.fill_null(pc.invert(pc.string_is_ascii(values)), False)
    if not pc.any(non_ascii).as_py():
        return lowered
    # utf8_lower maps code points one to one (no final sigma, "İ" → "i"), unlike Java and Python.
    replaced = [s.lower() for s in pc.filter(values, non_ascii).to_pylist()]
    return pc.replace_with_mask(lowered, non_ascii, pa.array(replaced, type=values.type))


def _lower_trim(values: pa.Array) -> pa.Array:
    return _lower(_trim(values))


def _digits_only(values: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(values, pattern="[^0-9]+", replacement="")


NORMALISERS: Mapping[str, Callable[[pa.Array], pa.Array]] = MappingProxyType({
    "digits-only": _digits_only,
    "lower": _lower,
    "lower-trim": _lower_trim,
    "trim": _trim,
})


# ---- the column set


@dataclass(frozen=True)
class ColumnSet:
    """The columns a fingerprint covers, sorted by UTF-8 bytes, and the normaliser named for each string column.

    ``columns`` may be given in any order and as any iterable of names; it is stored sorted. Unknown
    normaliser names, normalisers for columns not in the set, duplicates, an empty set and more than 64
    columns are ``InputError``.
    """

    columns: tuple[str, ...]
    normalisers: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        columns = tuple(self.columns)
        if not columns:
            raise InputError("a fingerprint column set needs at least one column")
        if any(not isinstance(c, str) for c in columns):
            raise InputError("fingerprint column names must be strings")
        duplicates = sorted({c for c in columns if columns.count(c) > 1}, key=_utf8_key)
        if duplicates:
            raise InputError(f"duplicate column(s) in fingerprint set: {', '.join(map(repr, duplicates))}")
        if len(columns) > MAX_COLUMNS:
            raise InputError(f"a fingerprint column set has at most {MAX_COLUMNS} columns, not {len(columns)}")
        normalisers = dict(self.normalisers)
        for column, name in normalisers.items():
            if column not in columns:
                raise InputError(f"normaliser {name!r} names column {column!r}, which is not in the set", field=column)
            if name not in NORMALISERS:
                known = ", ".join(NORMALISERS)
                raise InputError(f"unknown normaliser {name!r} (known: {known})", field=column)
        object.__setattr__(self, "columns", tuple(sorted(columns, key=_utf8_key)))
        ordered = {c: normalisers[c] for c in sorted(normalisers, key=_utf8_key)}
        object.__setattr__(self, "normalisers", MappingProxyType(ordered))

    def __reduce__(self) -> tuple[type[ColumnSet], tuple[tuple[str, ...], dict[str, str]]]:
        # MappingProxyType does not pickle; rebuild from plain values.
        return (ColumnSet, (self.columns, dict(self.normalisers)))

    def bit(self, column: str) -> int:
        """The bit of ``column`` in the null bitmask (its position in the sorted set)."""
        return self.columns.index(column)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready metadata: ``{"scheme": "fp-v1", "columns": [...], "normalisers": {...}}``."""
        return {"scheme": "fp-v1", "columns": list(self.columns), "normalisers": dict(self.normalisers)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSet:
        """Inverse of :meth:`to_dict`; a scheme other than fp-v1 is an ``InputError``."""
        scheme = data.get("scheme", "fp-v1")
        if scheme != "fp-v1":
            raise InputError(f"unsupported fingerprint scheme {scheme!r} (expected 'fp-v1')")
        return cls(tuple(data.get("columns", ())), dict(data.get("normalisers", {})))


# ---- type checks (all before any hashing, so a bad column fails fast and whole)


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _is_bytes(t: pa.DataType) -> bool:
    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)
                or pa.types.is_fixed_size_binary(t))


def _value_type(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def _supported(t: pa.DataType) -> bool:
    t = _value_type(t)
    checks = (pa.types.is_null, pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_date,
              pa.types.is_timestamp, pa.types.is_decimal, _is_text, _is_bytes)
    return any(check(t) for check in checks)


def _check_column(name: str, t: pa.DataType, normaliser: str | None) -> None:
    if not _supported(t):
        raise InputError(f"column {name!r} has type {t}, which fp-v1 cannot fingerprint "
                         "(supported: integers, floats, bool, date, timestamp, decimal, string, binary)", field=name)
    value_type = _value_type(t)
    if normaliser is not None and not (_is_text(value_type) or pa.types.is_integer(value_type)
                                       or pa.types.is_null(value_type)):
        raise InputError(f"normaliser {normaliser!r} applies to text, but column {name!r} has type {t}",
                         field=name)


def _resolve(data: pa.RecordBatch | pa.Table, column_set: ColumnSet) -> list[pa.ChunkedArray]:
    names = list(data.schema.names)
    missing = [c for c in column_set.columns if c not in names]
    if missing:
        available = ", ".join(map(repr, names)) or "none"
        raise InputError(f"missing column(s) {', '.join(map(repr, missing))} for fingerprint "
                         f"(available: {available})", field=missing[0])
    ambiguous = [c for c in column_set.columns if names.count(c) > 1]
    if ambiguous:
        raise InputError(f"column name(s) {', '.join(map(repr, ambiguous))} occur more than once", field=ambiguous[0])
    columns = []
    for name in column_set.columns:
        column = data.column(name)
        _check_column(name, column.type, column_set.normalisers.get(name))
        columns.append(column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column]))
    return columns


# ---- Arrow buffers as numpy views (zero copy; slices honour array.offset)


def _validity(array: pa.Array) -> k.Validity:
    bitmap = array.buffers()[0]
    if array.null_count == 0 or bitmap is None:
        return k.Validity(None, 0)
    return k.Validity(np.frombuffer(bitmap, dtype=np.uint8), array.offset)


def _values(array: pa.Array, dtype: type[np.generic]) -> npt.NDArray[Any]:
    size = np.dtype(dtype).itemsize
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * size)


def _unpacked_bools(array: pa.Array) -> k.U8:
    # One byte per value lets the vectorised integer kernel hash bools (reading bits in the kernel is 5x slower).
    first = array.offset // 8
    packed = np.frombuffer(array.buffers()[1], dtype=np.uint8)[first:]
    skip = array.offset - 8 * first
    return np.unpackbits(packed, count=skip + len(array), bitorder="little")[skip:]


def _bytes_of(buffer: pa.Buffer | None) -> k.U8:
    if buffer is None or buffer.size == 0:
        return np.zeros(1, dtype=np.uint8)  # never read: every value is empty
    return np.frombuffer(buffer, dtype=np.uint8)


# ---- canonicalisation + hashing of one chunk into h / mask (views of the same rows)


def _decimal_strings(array: pa.Array) -> pa.Array:
    text = pc.cast(array, pa.string())
    # Arrow writes exponent notation ("1.00E-8", "0E-10") where Java's BigDecimal.toString would;
    # Spark's cast uses the plain form, so re-render those rows from Python's Decimal.
    exponent = pc.fill_null(pc.match_substring(text, "E"), False)
    if not pc.any(exponent).as_py():
        return text
    values: list[decimal.Decimal] = pc.filter(array, exponent).to_pylist()
    return pc.replace_with_mask(text, exponent, pa.array([format(v, "f") for v in values], type=pa.string()))


def _as_text(array: pa.Array, normaliser: str | None) -> pa.Array:
    if pa.types.is_integer(array.type):
        array = pc.cast(array, pa.string())
    elif pa.types.is_string_view(array.type):
        array = pc.cast(array, pa.large_string())
    return NORMALISERS[normaliser](array) if normaliser else array


def _hash_text(array: pa.Array, h: k.U64, mask: k.U64, bit: int) -> None:
    t = array.type
    if pa.types.is_string_view(t) or pa.types.is_binary_view(t) or pa.types.is_fixed_size_binary(t):
        array = pc.cast(array, pa.large_binary())
        t = array.type
    # n + 1 offsets from the array's first row; they index the shared, unsliced data buffer.
    count, buffer = len(array) + 1, array.buffers()[1]
    offsets: npt.NDArray[np.int32] | npt.NDArray[np.int64]
    if pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        offsets = np.frombuffer(buffer, dtype=np.int64, count=count, offset=array.offset * 8)
    else:
        offsets = np.frombuffer(buffer, dtype=np.int32, count=count, offset=array.offset * 4)
    k.hash_bytes(offsets, _bytes_of(array.buffers()[2]), _validity(array), h, mask, bit)


def _micros(name: str, array: pa.Array) -> npt.NDArray[np.int64]:
    unit = array.type.unit
    if unit == "ns":
        micros: npt.NDArray[np.int64] = np.floor_divide(_values(array, np.int64), 1000)
        return micros
    if unit in ("s", "ms"):
        try:
            array = pc.cast(array, pa.timestamp("us", tz=array.type.tz))
        except pa.ArrowInvalid as exc:
            raise InputError(f"column {name!r}: a timestamp is out of range for int64 microseconds",
                             field=name) from exc
    return _values(array, np.int64)


def _hash_chunk(name: str, array: pa.Array, normaliser: str | None, h: k.U64, mask: k.U64, bit: int) -> None:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    t = array.type
    if pa.types.is_null(t) or array.null_count == len(array):
        k.mark_null(mask, 1 << bit)
    elif normaliser is not None or _is_text(t) or _is_bytes(t):
        _hash_text(_as_text(array, normaliser), h, mask, 1 << bit)
    elif pa.types.is_integer(t):
        k.hash_ints(_values(array, t.to_pandas_dtype()), _validity(array), h, mask, 1 << bit)
    elif pa.types.is_floating(t):
        with np.errstate(invalid="ignore"):  # widening a signalling NaN raises the invalid flag; NaN is NaN
            floats = _values(array, t.to_pandas_dtype()).astype(np.float64, copy=False)
        k.hash_floats(floats, _validity(array), h, mask, 1 << bit)
    elif pa.types.is_boolean(t):
        k.hash_ints(_unpacked_bools(array), _validity(array), h, mask, 1 << bit)
    elif pa.types.is_date32(t):
        k.hash_ints(_values(array, np.int32), _validity(array), h, mask, 1 << bit)
    elif pa.types.is_date64(t):
        days = np.floor_divide(_values(array, np.int64), _DAY_MS)
        k.hash_ints(days, _validity(array), h, mask, 1 << bit)
    elif pa.types.is_timestamp(t):
        k.hash_ints(_micros(name, array), _validity(array), h, mask, 1 << bit)
    elif pa.types.is_decimal(t):
        _hash_text(_decimal_strings(array), h, mask, 1 << bit)
    else:  # unreachable: _check_column rejected it
        raise InputError(f"column {name!r} has unsupported type {t}", field=name)


def _hash_block(columns: list[pa.ChunkedArray], column_set: ColumnSet, start: int, h: k.U64, mask: k.U64) -> None:
    """fp-v1 of rows ``start:start + len(h)`` into ``h`` (which holds the seed on entry); ``mask`` is zeroed scratch."""
    for bit, (name, column) in enumerate(zip(column_set.columns, columns, strict=True)):
        normaliser = column_set.normalisers.get(name)
        position = 0
        for chunk in column.slice(start, len(h)).chunks:
            end = position + len(chunk)
            if end > position:
                _hash_chunk(name, chunk, normaliser, h[position:end], mask[position:end], bit)
            position = end
    k.finish(h, mask)


def _hash_range(columns: list[pa.ChunkedArray], column_set: ColumnSet, h: k.U64, start: int, stop: int) -> None:
    """Rows ``start:stop`` block by block: a block's hashes and mask (16 bytes a row) stay in cache across
    the columns, and one mask buffer serves every block (a fresh array per block would page-fault)."""
    scratch = np.empty(min(_BLOCK_ROWS, stop - start), dtype=np.uint64)
    for block in range(start, stop, _BLOCK_ROWS):
        rows = min(_BLOCK_ROWS, stop - block)
        mask = scratch[:rows]
        mask.fill(0)
        _hash_block(columns, column_set, block, h[block:block + rows], mask)


def _ranges(rows: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous row ranges of about equal size, each a whole number of blocks (but the last)."""
    blocks = -(-rows // _BLOCK_ROWS)
    per_part = -(-blocks // parts) * _BLOCK_ROWS
    return [(start, min(start + per_part, rows)) for start in range(0, rows, per_part)]


def fingerprint(data: pa.RecordBatch | pa.Table, column_set: ColumnSet, *, threads: int = 1) -> npt.NDArray[np.uint64]:
    """The fp-v1 value of every row of ``data`` over ``column_set``, as a uint64 array (one per row).

    Columns of ``data`` outside the set are ignored. A missing column, a column listed twice in
    ``data``, or a column of a type fp-v1 does not cover raises ``InputError`` naming it. ``threads``
    > 1 splits the rows into that many ranges hashed on a thread pool; the result does not depend on it.
    """
    if threads < 1:
        raise InputError(f"threads must be at least 1, not {threads}")
    columns = _resolve(data, column_set)
    rows = data.num_rows
    h = np.full(rows, SEED, dtype=np.uint64)
    if rows == 0:
        return h
    ranges = _ranges(rows, threads)
    if len(ranges) == 1:
        _hash_range(columns, column_set, h, 0, rows)
        return h
    with cf.ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="fp-v1") as pool:
        for future in [pool.submit(_hash_range, columns, column_set, h, start, stop) for start, stop in ranges]:
            future.result()
    return h
