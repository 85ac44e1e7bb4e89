"""The distance kernels agree with the definitions written out plainly (numpy over every pair)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from synthguard.risk.data import Frame, encode
from synthguard.risk.dcr import closest
from synthguard.risk.distance import nearest


@st.composite
def frames(draw: st.DrawFn) -> tuple[Frame, Frame]:
    """Two tables of mixed columns with nulls, ties, constant and out-of-range values."""
    n_q, n_r = draw(st.integers(1, 40)), draw(st.integers(2, 1200))  # > 256: several blocks
    n_num, n_cat = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    if n_num + n_cat == 0:
        n_num = 1
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cols_q, cols_r = {}, {}
    for j in range(n_num):
        scale = draw(st.sampled_from([0.0, 1.0, 1000.0]))  # 0: a constant column
        levels = draw(st.sampled_from([3, 1000]))  # few values: many ties
        q = rng.integers(0, levels, n_q) * scale - 50.0
        r = rng.integers(0, levels, n_r) * scale
        q[rng.random(n_q) < 0.2] = np.nan
        r[rng.random(n_r) < 0.2] = np.nan
        cols_q[f"n{j}"], cols_r[f"n{j}"] = pa.array(q, from_pandas=True), pa.array(r, from_pandas=True)
    for j in range(n_cat):
        q = rng.choice(["a", "b", "c", "é", None], n_q)  # type: ignore[list-item]
        r = rng.choice(["a", "b", "d", None], n_r)  # type: ignore[list-item]
        cols_q[f"c{j}"], cols_r[f"c{j}"] = pa.array(q), pa.array(r)
    real, query = encode([("r", pa.table(cols_r)), ("q", pa.table(cols_q))])
    return query, real


def sdmetrics_pairs(q: Frame, r: Frame) -> np.ndarray:
    """SDMetrics' DCR distance of every pair (``dcr_utils._process_dcr_chunk``), spelt out."""
    total = np.zeros((q.rows, r.rows))
    for name, kind in zip(r.names, r.kinds, strict=True):
        a, b = q.column(name)[:, None], r.column(name)[None, :]
        if kind == "num":
            span = np.nanmax(b) - np.nanmin(b) if not np.isnan(b).all() else np.nan
            with np.errstate(invalid="ignore", divide="ignore"):
                diff = np.abs(a - b)
                d = (diff > 0).astype(float) if span == 0 else np.minimum(diff / span, 1.0)
            d = np.where(np.isnan(a) ^ np.isnan(b), 1.0, d)
            d = np.where(np.isnan(a) & np.isnan(b), 0.0, d)
        else:
            d = (a != b).astype(float)
        total += d
    return total / len(r.names)


def anonymeter_pairs(q: Frame, r: Frame) -> np.ndarray:
    """Anonymeter's distance (``mixed_types_kneighbors.gower_distance``), NaN pairs as +inf."""
    total = np.zeros((q.rows, r.rows))
    for name, kind in zip(r.names, r.kinds, strict=True):
        a, b = q.column(name)[:, None], r.column(name)[None, :]
        if kind == "num":
            both = np.concatenate([q.column(name), r.column(name)])
            span = np.nanmax(both) - np.nanmin(both) if not np.isnan(both).all() else 0.0
            span = 1.0 if span == 0 else span
            d = np.abs(a / span - b / span)
            d = np.where(np.isnan(a) & np.isnan(b), 1.0, np.where(np.isnan(a) | np.isnan(b), np.inf, d))
        else:
            d = (a != b).astype(float)
        total += d
    return total


@settings(max_examples=60, deadline=None)
@given(frames())
def test_dcr_and_nndr_are_exact(pair: tuple[Frame, Frame]) -> None:
    query, real = pair
    expected = np.sort(sdmetrics_pairs(query, real), axis=1)
    first, second = closest(query, real, second=True)
    np.testing.assert_allclose(first, expected[:, 0], atol=1e-12)
    np.testing.assert_allclose(second, expected[:, 1], atol=1e-12)
    assert ((first == 0) == (expected[:, 0] == 0)).all()  # identical matches are exact, not approximate


@settings(max_examples=60, deadline=None)
@given(frames(), st.integers(1, 3))
def test_nearest_neighbours_follow_anonymeter_distance(pair: tuple[Frame, Frame], k: int) -> None:
    query, real = pair
    dist = anonymeter_pairs(query, real)
    found = nearest(query, real, k)
    k = min(k, real.rows)
    expected = np.sort(dist, axis=1)[:, :k]
    got = np.take_along_axis(dist, found, axis=1)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    if "num" not in real.kinds:  # integer distances: exact ties, which go to the lowest index
        assert (found[:, 0] == np.argmin(dist, axis=1)).all()
