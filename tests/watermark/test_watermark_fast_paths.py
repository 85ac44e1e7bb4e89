"""The fast paths of a first release give exactly what the plain forms give: fused anchor hashing and
selection, the SipHash cache, numeric conditioning and coarse cells, categorical marks by ``take``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st
from wm_tables import EQUIVALENT

from synthguard.watermark import _kernels, _numeric, _prf
from synthguard.watermark.methods import CategoricalMark

K0, K1 = 0x0706050403020100, 0x0F0E0D0C0B0A0908


def _reference_select(digests: list[np.ndarray], valid: list[np.ndarray], keys: list[tuple[int, int]],
                      sources: np.ndarray, salts: np.ndarray, fraction: int) -> list[tuple[np.ndarray, np.ndarray]]:
    anchors = np.stack([_kernels.siphash(k0, k1, d) for d, (k0, k1) in zip(digests, keys, strict=True)])
    return _kernels.select(anchors, np.stack(valid), sources, salts, fraction)


def _same(a: list[tuple[np.ndarray, np.ndarray]], b: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1])
                                    for x, y in zip(a, b, strict=True))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 4), st.integers(1, 3), st.sampled_from([1, 2, 16, 300]),
       st.integers(0, 2**32))
def test_anchor_select_equals_hashing_then_selecting(rows: int, count: int, targets: int, fraction: int,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Repeating small values exercise the SipHash cache (hits, and collisions of values CACHE apart).
    digests = [rng.integers(0, 2**64, rows, dtype=np.uint64) if s % 2 else
               (rng.integers(0, 50, rows) * rng.choice([1, _prf.CACHE], rows)).astype(np.uint64)
               for s in range(count)]
    valid = [rng.random(rows) < 0.9 for _ in range(count)]
    keys = [(int(rng.integers(0, 2**63)), int(rng.integers(0, 2**63))) for _ in range(count)]
    sources = np.full((targets, count), -1, dtype=np.int64)
    for t in range(targets):
        order = rng.permutation(count)[:int(rng.integers(1, count + 1))]
        sources[t, :order.size] = order
    salts = rng.integers(0, 2**63, (targets, count), dtype=np.uint64)
    got = _kernels.anchor_select(digests, valid, keys, sources, salts, fraction)
    assert _same(got, _reference_select(digests, valid, keys, sources, salts, fraction))


def test_anchor_select_over_threads_and_blocks() -> None:
    rows = 2 * _kernels.MIN_RANGE + 3 * _kernels.BLOCK + 5  # several threads, several blocks each
    rng = np.random.default_rng(7)
    digests = [rng.integers(0, 2**64, rows, dtype=np.uint64), rng.integers(0, 3000, rows).astype(np.uint64)]
    valid = [np.ones(rows, dtype=bool), rng.random(rows) < 0.5]
    keys = [(K0, K1), (K1, K0)]
    sources, salts = np.array([[1, 0], [0, -1]]), np.array([[5, 6], [7, 0]], dtype=np.uint64)
    got = _kernels.anchor_select(digests, valid, keys, sources, salts, 16)
    assert _same(got, _reference_select(digests, valid, keys, sources, salts, 16))
    assert all(np.all(np.diff(rows_) > 0) for rows_, _ in got)


def test_anchor_select_grows_its_output_when_far_more_cells_select_than_expected() -> None:
    rows = 3 * _kernels.BLOCK + 11
    digests, valid = [np.zeros(rows, np.uint64)], [np.ones(rows, dtype=bool)]  # one anchor value: all or nothing
    sources = np.array([[0]])
    for salt in range(1000):
        salts = np.array([[salt]], dtype=np.uint64)
        expected = _reference_select(digests, valid, [(K0, K1)], sources, salts, 16)
        if expected[0][0].size == rows:  # every row selected, where about one in 16 was expected
            break
    got = _kernels.anchor_select(digests, valid, [(K0, K1)], sources, salts, 16)
    assert got[0][0].size == rows and _same(got, expected)


def test_cached_siphash_equals_siphash() -> None:
    values = np.array([3, 3, 3 + _prf.CACHE, 3, 2**64 - 1, 0, 0, 3 + _prf.CACHE], dtype=np.uint64)
    seen = np.arange(1, _prf.CACHE + 1, dtype=np.uint64)
    cached, out = np.empty(_prf.CACHE, np.uint64), np.empty(values.size, np.uint64)
    _prf._siphash_cached(np.uint64(K0), np.uint64(K1), values, out, seen, cached)
    assert np.array_equal(out, _kernels.siphash(K0, K1, values))


finite_or_not = st.one_of(st.floats(-1e7, 1e7, allow_nan=False), st.sampled_from([np.nan, np.inf, -np.inf]))


@settings(max_examples=80, deadline=None)
@given(st.lists(finite_or_not, min_size=1, max_size=80), st.sampled_from([0.004, 0.04, 0.4, 4.0, 40.0]),
       st.sampled_from([None, 0, 2, 4, -1]), st.randoms())
def test_condition_equals_the_numpy_form(values: list[float], q: float, decimals: int | None, rnd) -> None:
    x = np.array(values, dtype=np.float64)
    rows = np.array(sorted(rnd.sample(range(x.size), rnd.randint(0, x.size))), dtype=np.int64)
    coarse, bit, offset, finite = _numeric.quantise(x, q)

    def place(c: np.ndarray, b: np.ndarray, o: np.ndarray) -> np.ndarray:
        out = q * (2.0 * c + b + o)
        return np.round(out, decimals) if decimals is not None else out

    base, zero, one, keep = _numeric.condition(x, q, decimals, rows)
    assert np.array_equal(base, np.where(finite, place(coarse, bit, offset), x), equal_nan=True)
    assert np.array_equal(keep, finite[rows])
    kept = rows[keep]
    assert np.array_equal(zero[keep], place(coarse[kept], np.zeros(kept.size), offset[kept]))
    assert np.array_equal(one[keep], place(coarse[kept], np.ones(kept.size), offset[kept]))
    cells, ok = _numeric.coarse(x, q)
    assert np.array_equal(cells, coarse) and np.array_equal(ok, finite)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["DE", "DEU", "FR", "FRA", "IE", "US", "", None]), min_size=1, max_size=60),
       st.randoms(), st.sampled_from(["string", "large_string", "dictionary", "sliced"]))
def test_categorical_marks_equal_replacing_cells_one_by_one(values: list[str | None], rnd, kind: str) -> None:
    mark = CategoricalMark(EQUIVALENT)
    column = pa.array(values, pa.string())
    if kind == "large_string":  # not the one-pass rewrite: the generic fallback
        column = column.cast(pa.large_string())
    elif kind == "dictionary":
        column = column.dictionary_encode()
    elif kind == "sliced":  # an Arrow offset into shared buffers: the fallback too
        column = pa.array(["DE", None, *values], pa.string()).slice(2)
    rows = np.array(sorted(rnd.sample(range(len(values)), rnd.randint(0, len(values)))), dtype=np.int64)
    choice = np.array([rnd.getrandbits(64) for _ in rows], dtype=np.uint64)
    bits = np.array([rnd.randint(0, 1) for _ in rows], dtype=np.uint8)
    prepared = mark.prepare(column, rows, choice)
    out = prepared.apply(bits)
    assert out.type == column.type
    # The reference: each selected cell in a class takes the member its bit and tie-break choose.
    expected = column.to_pylist()
    for row, pick, bit in zip(rows.tolist(), choice.tolist(), bits.tolist(), strict=True):
        members = next((m for m in mark.classes if expected[row] in m), None)
        if members is None:
            continue
        same_parity = [v for i, v in enumerate(members) if i % 2 == bit]
        expected[row] = same_parity[(pick & 0x7FFFFFFF) % len(same_parity)]
    assert out.to_pylist() == expected
    assert pc.all(pc.equal(out.is_null(), column.is_null())).as_py() in (True, None)
