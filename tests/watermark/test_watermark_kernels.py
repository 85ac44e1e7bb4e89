"""The hand-written pieces checked against references: SipHash-2-4 and the binomial tail."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import siphash24
from hypothesis import given, settings
from hypothesis import strategies as st

from synthguard.watermark import _kernels
from synthguard.watermark.detect import log10_binomial_tail

KEY = bytes(range(16))
K0, K1 = int.from_bytes(KEY[:8], "little"), int.from_bytes(KEY[8:], "little")


def test_siphash_reference_vector() -> None:
    # SipHash-2-4 paper / reference implementation: key 00..0f, message 00..07 → 62 24 93 9a 79 f5 f5 93
    message = int.from_bytes(bytes(range(8)), "little")
    out = _kernels.siphash(K0, K1, np.array([message], dtype=np.uint64))
    assert int(out[0]).to_bytes(8, "little") == bytes.fromhex("6224939a79f5f593")


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=20))
def test_siphash_matches_the_siphash24_package(key: bytes, values: list[int]) -> None:
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    out = _kernels.siphash(k0, k1, np.array(values, dtype=np.uint64))
    expected = [siphash24.siphash24(v.to_bytes(8, "little"), key=key).digest() for v in values]
    assert [int(x).to_bytes(8, "little") for x in out] == expected


@pytest.mark.parametrize("n", [0, 1, 7, 64, 300])
def test_binomial_tail_is_exact(n: int) -> None:
    table = log10_binomial_tail(n)
    for m in range(n + 1):
        exact = Fraction(sum(math.comb(n, k) for k in range(m, n + 1)), 2**n)
        assert table[m] == pytest.approx(math.log10(exact), abs=1e-9)


def test_binomial_tail_does_not_underflow() -> None:
    assert log10_binomial_tail(2000)[2000] == pytest.approx(-2000 * math.log10(2))


def test_selection_rate_is_one_in_gamma_per_pair() -> None:
    rng = np.random.default_rng(0)
    anchors = rng.integers(0, 2**63, size=(2, 200_000), dtype=np.uint64)
    valid = np.ones_like(anchors, dtype=bool)
    [(rows, _)] = _kernels.select(anchors, valid, np.array([[0, 1]]), np.array([[1, 2]], dtype=np.uint64), 16)
    expected = 1 - (15 / 16) ** 2
    assert rows.size / 200_000 == pytest.approx(expected, rel=0.03)
    assert np.all(np.diff(rows) > 0)


def test_threaded_ranges_give_the_same_answers() -> None:
    rows = 3 * _kernels.MIN_RANGE + 17
    values = np.random.default_rng(1).integers(0, 2**63, rows, dtype=np.uint64)
    whole = _kernels.siphash(K0, K1, values)
    pieces = np.concatenate([_kernels.siphash(K0, K1, values[i:i + 1000]) for i in range(0, rows, 1000)])
    assert np.array_equal(whole, pieces)
    anchors = np.stack([whole, values])
    valid = np.ones_like(anchors, dtype=bool)
    sources, salts = np.array([[0, 1], [1, -1]]), np.array([[5, 6], [7, 0]], dtype=np.uint64)
    threaded = _kernels.select(anchors, valid, sources, salts, 8)
    for t, (picked, hashes) in enumerate(threaded):
        ranges = [_kernels.select(anchors[:, i:i + 5000], valid[:, i:i + 5000], sources, salts, 8)[t]
                  for i in range(0, rows, 5000)]
        assert np.array_equal(picked, np.concatenate([r + i for (r, _), i in zip(ranges, range(0, rows, 5000),
                                                                                  strict=True)]))
        assert np.array_equal(hashes, np.concatenate([h for _, h in ranges]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), max_size=60), st.lists(st.integers(-5, 5), max_size=60))
def test_ks_statistic_matches_scipy(a: list[float], b: list[int]) -> None:
    from scipy.stats import ks_2samp

    x, y = np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)
    expected = ks_2samp(x, y).statistic if x.size and y.size else 0.0
    assert _kernels.ks_statistic(x, y) == pytest.approx(expected, abs=1e-12)
