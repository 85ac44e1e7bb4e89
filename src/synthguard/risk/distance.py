"""Nearest synthetic records for the linkability and inference attacks, by Anonymeter's distance.

Anonymeter (``neighbors/mixed_types_kneighbors.py``) compares records with a Gower-like distance:
numeric columns are divided by their range over *both* record sets (a zero range is left as is) and
add |a − b|; categorical columns add 1 when the values differ (null is a value of its own). Two nulls in
a numeric column add 1; a null against a number makes the distance NaN, which ranks that candidate after
every other — we give such pairs +inf, the same ranking. Ties go to the lowest candidate index, or, with
``rng``, to a uniformly random one among the tied (the attacks use this: Anonymeter's ``argsort`` breaks
ties in an arbitrary order, and a fixed order would favour whatever records come first, e.g. copies).

Anonymeter runs one joblib task per query and sorts every distance row; this kernel runs queries in
parallel (numba ``prange``), keeps only the k best and stops summing a candidate once it cannot enter
them, so it is exact and far faster.
"""

from __future__ import annotations

import numba
import numpy as np

from .data import NUM, Frame


def normalised(queries: Frame, candidates: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(q_num, q_cat, c_num, c_cat)``: numeric columns divided by their range over both frames."""
    q_num, q_cat = queries.matrices()
    c_num, c_cat = candidates.matrices()
    if q_num.shape[1]:
        with np.errstate(invalid="ignore"):
            both = np.vstack([q_num, c_num])
            low = np.nanmin(np.where(np.isnan(both), np.inf, both), axis=0)
            high = np.nanmax(np.where(np.isnan(both), -np.inf, both), axis=0)
            span = high - low
        span[~np.isfinite(span) | (span == 0)] = 1.0
        q_num, c_num = q_num / span, c_num / span
    return q_num, q_cat, c_num, c_cat


def nearest(queries: Frame, candidates: Frame, k: int = 1, rng: np.random.Generator | None = None) -> np.ndarray:
    """Indexes ``(len(queries), k)`` of each query's k nearest candidates, nearest first."""
    if queries.kinds != candidates.kinds:
        raise ValueError("queries and candidates must have the same columns")
    k = min(k, candidates.rows)
    q_num, q_cat, c_num, c_cat = normalised(queries, candidates)
    if rng is None:
        return _knn(q_num, q_cat, c_num, c_cat, k)
    # searching a random permutation with lowest-index tie-breaking = uniform choice among ties
    order = rng.permutation(candidates.rows)
    found = _knn(q_num, q_cat, np.ascontiguousarray(c_num[order]), np.ascontiguousarray(c_cat[order]), k)
    return np.asarray(order[found], dtype=np.int64)


@numba.njit(parallel=True, cache=True, nogil=True)
def _knn(q_num: np.ndarray, q_cat: np.ndarray, c_num: np.ndarray, c_cat: np.ndarray,
         k: int) -> np.ndarray:  # pragma: no cover - compiled
    nq = q_num.shape[0] if q_num.shape[1] else q_cat.shape[0]
    nc = c_num.shape[0] if c_num.shape[1] else c_cat.shape[0]
    n_num = q_num.shape[1]
    n_cat = q_cat.shape[1]
    out = np.empty((nq, k), dtype=np.int64)
    for i in numba.prange(nq):
        best_d = np.full(k, np.inf)
        best_i = np.full(k, -1, dtype=np.int64)
        worst = np.inf
        for j in range(nc):
            d = 0.0
            for c in range(n_cat):
                if q_cat[i, c] != c_cat[j, c]:
                    d += 1.0
            for c in range(n_num):
                if d > worst:
                    break
                a = q_num[i, c]
                b = c_num[j, c]
                if np.isnan(a) or np.isnan(b):
                    d += 1.0 if (np.isnan(a) and np.isnan(b)) else np.inf
                else:
                    d += abs(a - b)
            # strictly smaller: among equal distances the lowest index stays
            if d < worst or best_i[k - 1] == -1:
                pos = k - 1
                while pos > 0 and (best_i[pos - 1] == -1 or best_d[pos - 1] > d):
                    best_d[pos] = best_d[pos - 1]
                    best_i[pos] = best_i[pos - 1]
                    pos -= 1
                best_d[pos] = d
                best_i[pos] = j
                worst = best_d[k - 1] if best_i[k - 1] != -1 else np.inf
        for m in range(k):
            out[i, m] = best_i[m]
    return out


__all__ = ["NUM", "nearest", "normalised"]
