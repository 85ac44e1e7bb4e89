"""Singling-out attack (Anonymeter's ``SinglingOutEvaluator``), univariate and multivariate.

The attacker writes predicates that match exactly one synthetic record and wins each one that also
matches exactly one real record. Univariate predicates come from rare values, the extremes of numeric
columns and lone nulls; multivariate ones from a random synthetic record and ``n_cols`` random columns
(``col >= v`` above the column's median, ``col <= v`` otherwise, ``col == v`` for categories). The
baseline draws random predicates (random column values and operators). Tables are de-duplicated first.
With a control set of another size, its success count is rescaled by Anonymeter's fitted model of how
singling-out grows with table size (Cohen & Nissim 2020). Risk = successes / ``n_attacks``.

Anonymeter builds one polars expression per predicate; here predicates are small arrays counted by a
numba kernel that stops at the second match, and univariate counts on the synthetic table come from
value counts directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numba
import numpy as np

from ...errors import InputError
from ..data import NUM, Frame
from .interface import Attack, AttackData, AttackOptions, AttackResult

logger = logging.getLogger(__name__)

IS_NULL, NOT_NULL, EQ, NE, GT, LT, GE, LE = range(1, 9)
KIND_NUM, KIND_CAT = 1, 2
_BATCH = 1000
_MAX_BATCH = 32_768


@dataclass(frozen=True)
class Queries:
    """Predicates as arrays ``(n_queries, n_terms)``: kind (0 = unused term), column, operator, value."""

    kind: np.ndarray
    col: np.ndarray
    op: np.ndarray
    val: np.ndarray

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def take(self, index: np.ndarray) -> Queries:
        return Queries(self.kind[index], self.col[index], self.op[index], self.val[index])

    def keys(self) -> list[bytes]:
        """A canonical byte string per query, to keep only distinct ones."""
        packed = np.concatenate([self.kind.astype(np.float64), self.col.astype(np.float64),
                                 self.op.astype(np.float64), self.val], axis=1)
        return [row.tobytes() for row in packed]

    @classmethod
    def empty(cls, terms: int) -> Queries:
        return cls(np.zeros((0, terms), np.int8), np.zeros((0, terms), np.int64), np.zeros((0, terms), np.int8),
                   np.zeros((0, terms), np.float64))

    @classmethod
    def concat(cls, parts: list[Queries]) -> Queries:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("kind", "col", "op", "val")))


def count_matches(frame: Frame, queries: Queries, cap: int = 2) -> np.ndarray:
    """How many rows of ``frame`` each query matches, counting no further than ``cap``."""
    num, cat = frame.matrices()
    if len(queries) == 0:
        return np.zeros(0, dtype=np.int64)
    return _count(num, cat, queries.kind, queries.col, queries.op, queries.val, cap)


@numba.njit(cache=True, nogil=True, inline="always")
def _matches(num: np.ndarray, cat: np.ndarray, r: int, q: int, kind: np.ndarray, col: np.ndarray, op: np.ndarray,
             val: np.ndarray) -> bool:  # pragma: no cover - compiled
    """Whether row ``r`` satisfies every term of query ``q`` (polars semantics: null never compares)."""
    for t in range(kind.shape[1]):
        k = kind[q, t]
        if k == 0:
            continue
        o = op[q, t]
        v = val[q, t]
        if k == 1:
            x = num[r, col[q, t]]
            null = np.isnan(x)
            if o == 1:
                ok = null
            elif o == 2:
                ok = not null
            elif null:
                ok = False
            elif o == 3:
                ok = x == v
            elif o == 4:
                ok = x != v
            elif o == 5:
                ok = x > v
            elif o == 6:
                ok = x < v
            elif o == 7:
                ok = x >= v
            else:
                ok = x <= v
        else:
            c = cat[r, col[q, t]]
            null = c < 0
            if o == 1:
                ok = null
            elif o == 2:
                ok = not null
            elif null:
                ok = False
            elif o == 3:
                ok = c == np.int64(v)
            else:
                ok = c != np.int64(v)
        if not ok:
            return False
    return True


@numba.njit(parallel=True, cache=True, nogil=True)
def _count(num: np.ndarray, cat: np.ndarray, kind: np.ndarray, col: np.ndarray, op: np.ndarray,
           val: np.ndarray, cap: int) -> np.ndarray:  # pragma: no cover - compiled
    rows = num.shape[0] if num.shape[1] else cat.shape[0]
    out = np.zeros(kind.shape[0], dtype=np.int64)
    for q in numba.prange(kind.shape[0]):
        count = 0
        for r in range(rows):
            if _matches(num, cat, r, q, kind, col, op, val):
                count += 1
                if count >= cap:
                    break
        out[q] = count
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _match_rows(num: np.ndarray, cat: np.ndarray, kind: np.ndarray, col: np.ndarray, op: np.ndarray,
                val: np.ndarray, offsets: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Every matching row of every query, packed by ``offsets`` (from a first uncapped count)."""
    rows = num.shape[0] if num.shape[1] else cat.shape[0]
    out = np.empty(offsets[-1], dtype=np.int64)
    for q in numba.prange(kind.shape[0]):
        at = offsets[q]
        for r in range(rows):
            if _matches(num, cat, r, q, kind, col, op, val):
                out[at] = r
                at += 1
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _singles_in(offsets: np.ndarray, rows: np.ndarray, chosen: np.ndarray) -> int:  # pragma: no cover - compiled
    """How many queries match exactly one of the ``chosen`` rows."""
    total = 0
    for q in numba.prange(offsets.shape[0] - 1):
        count = 0
        for i in range(offsets[q], offsets[q + 1]):
            if chosen[rows[i]]:
                count += 1
                if count > 1:
                    break
        if count == 1:
            total += 1
    return total


def _positions(frame: Frame) -> list[tuple[int, int]]:
    """``(kind, index into the numeric or categorical matrix)`` for each column of ``frame``."""
    out, n_num, n_cat = [], 0, 0
    for kind in frame.kinds:
        if kind == NUM:
            out.append((KIND_NUM, n_num))
            n_num += 1
        else:
            out.append((KIND_CAT, n_cat))
            n_cat += 1
    return out


def _single(kind: int, col: int, op: int, val: float) -> Queries:
    return Queries(np.array([[kind]], np.int8), np.array([[col]], np.int64), np.array([[op]], np.int8),
                   np.array([[val]], np.float64))


def univariate_queries(syn: Frame, n_queries: int, rng: np.random.Generator) -> Queries:
    """Predicates on one column that single out a synthetic record (rare values, extremes, lone nulls)."""
    found: list[Queries] = []
    for (kind, col), values in zip(_positions(syn), syn.values, strict=True):
        null = np.isnan(values) if kind == KIND_NUM else values < 0
        if int(null.sum()) == 1:
            found.append(_single(kind, col, IS_NULL, 0.0))
        present = values[~null]
        if present.size == 0:
            continue
        uniques, counts = np.unique(present, return_counts=True)
        if kind == KIND_NUM:
            # ``<= min`` and ``>= max`` single out only when the extreme is unique; kept below if so
            if counts[0] == 1:
                found.append(_single(kind, col, LE, float(uniques[0])))
            if counts[-1] == 1:
                found.append(_single(kind, col, GE, float(uniques[-1])))
        for value in uniques[counts == 1]:
            found.append(_single(kind, col, EQ, float(value)))
    if not found:
        return Queries.empty(1)
    queries = Queries.concat(found)
    order = rng.permutation(len(queries))
    return _distinct(queries.take(order), n_queries)


def _distinct(queries: Queries, limit: int, seen: set[bytes] | None = None) -> Queries:
    seen = set() if seen is None else seen
    keep = []
    for i, key in enumerate(queries.keys()):
        if len(seen) >= limit:
            break
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return queries.take(np.array(keep, dtype=np.int64))


def multivariate_queries(syn: Frame, n_queries: int, n_cols: int, max_attempts: int | None,
                         rng: np.random.Generator) -> tuple[Queries, int]:
    """Predicates built from random synthetic records on ``n_cols`` random columns that single out
    one synthetic record; also returns the number of attempts."""
    positions = _positions(syn)
    medians = [float(np.nanmedian(v)) if k == KIND_NUM and not np.isnan(v).all() else np.nan
               for (k, _), v in zip(positions, syn.values, strict=True)]
    kind_of = np.array([k for k, _ in positions], np.int8)
    col_of = np.array([c for _, c in positions], np.int64)
    seen: set[bytes] = set()
    parts: list[Queries] = []
    attempts = 0
    batch = _BATCH if max_attempts is None else min(_BATCH, max_attempts)
    while len(seen) < n_queries and (max_attempts is None or attempts < max_attempts):
        if max_attempts is not None:
            batch = min(batch, max_attempts - attempts)
        records = rng.integers(0, syn.rows, size=batch)
        columns = np.sort(np.argsort(rng.random((batch, len(positions))), axis=1)[:, :n_cols], axis=1)
        val = np.empty((batch, n_cols))
        op = np.empty((batch, n_cols), np.int8)
        for t in range(n_cols):
            for c in np.unique(columns[:, t]):
                rows = columns[:, t] == c
                v = syn.values[c][records[rows]].astype(np.float64)
                if kind_of[c] == KIND_NUM:
                    o = np.where(v > medians[c], GE, LE)
                    o = np.where(np.isnan(v), IS_NULL, o)
                else:
                    o = np.where(v < 0, IS_NULL, EQ)
                val[rows, t] = np.where(o == IS_NULL, 0.0, v)
                op[rows, t] = o
        batch_queries = Queries(kind_of[columns], col_of[columns], op, val)
        attempts += batch
        counts = count_matches(syn, batch_queries)
        singles = batch_queries.take(np.flatnonzero(counts == 1))
        parts.append(_distinct(singles, n_queries, seen))
        # rare successes: larger batches amortise the per-batch work (the attempt cap still holds)
        batch = min(batch * 2, _MAX_BATCH)
    if len(seen) < n_queries:
        logger.warning("singling out: %d predicates found of %d requested after %d attempts",
                       len(seen), n_queries, attempts)
    return (Queries.concat(parts) if parts else Queries.empty(n_cols)), attempts


def random_queries(syn: Frame, n_queries: int, n_cols: int, rng: np.random.Generator) -> Queries:
    """The baseline: random values of random columns with random operators."""
    positions = _positions(syn)
    uniques = [np.unique(v) for v in syn.values]  # NaN / -1 (null) are kept as values, like polars' unique
    kind = np.zeros((n_queries, n_cols), np.int8)
    col = np.zeros((n_queries, n_cols), np.int64)
    op = np.zeros((n_queries, n_cols), np.int8)
    val = np.zeros((n_queries, n_cols))
    for q in range(n_queries):
        chosen = np.sort(rng.choice(len(positions), size=n_cols, replace=False))
        for t, c in enumerate(chosen):
            k, index = positions[c]
            v = float(uniques[c][rng.integers(len(uniques[c]))])
            o = int(rng.choice([EQ, NE, GT, LT, GE, LE] if k == KIND_NUM else [EQ, NE]))
            null = np.isnan(v) if k == KIND_NUM else v < 0
            if null:
                o = IS_NULL if o == EQ else NOT_NULL
            kind[q, t], col[q, t], op[q, t], val[q, t] = k, index, o, (0.0 if null else v)
    return Queries(kind, col, op, val)


def _probability_integral(n: np.ndarray | float, w_min: float, w_max: float) -> np.ndarray | float:
    """∫ P(w, n) dw over [w_min, w_max] with P = n w (1 − w)^(n − 1): the chance a query of weight w singles
    out in n records (Cohen & Nissim 2020, as in Anonymeter)."""
    return ((n * w_min + 1) * (1 - w_min) ** n - (n * w_max + 1) * (1 - w_max) ** n) / (n + 1)


def size_correction(control: Frame, queries: Queries, target_rows: int, rng: np.random.Generator) -> float:
    """Factor turning successes on ``control`` into those expected on ``target_rows`` records."""
    from scipy.optimize import curve_fit  # imported here: only this correction needs SciPy, and it loads slowly
    # each subsample's count comes from the matching rows of every query, found once
    num, cat = control.matrices()
    counts = _count(num, cat, queries.kind, queries.col, queries.op, queries.val, control.rows + 1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rows = _match_rows(num, cat, queries.kind, queries.col, queries.op, queries.val, offsets)
    sizes, successes = [], []
    for n_rows in np.linspace(min(1000, control.rows), control.rows, 10).astype(int):
        for _ in range(5):
            chosen = np.zeros(control.rows, dtype=np.bool_)
            chosen[rng.choice(control.rows, size=n_rows, replace=False)] = True
            successes.append(int(_singles_in(offsets, rows, chosen)))
            sizes.append(n_rows)
    x, y = np.array(sizes, dtype=float), np.array(successes, dtype=float)

    def model(n: np.ndarray, w_eff: float, norm: float) -> np.ndarray:
        return norm * _probability_integral(n, 0.0, w_eff)  # type: ignore[return-value]

    w_guess = 1.0 / x.max()
    norm_guess = 1.0 / float(_probability_integral(x.max(), 0.0, w_guess))
    try:
        # more evaluations than SciPy's default, where Anonymeter would stop with an error instead
        params, _ = curve_fit(model, x, y, bounds=(0, (1, np.inf)), p0=(w_guess, norm_guess), max_nfev=20_000)
    except (RuntimeError, ValueError) as exc:  # no convergence: report the raw count rather than fail
        logger.warning("singling out: control size correction not fitted (%s)", exc)
        return 1.0
    below = float(model(np.array([control.rows], dtype=float), *params)[0])
    above = float(model(np.array([target_rows], dtype=float), *params)[0])
    return above / below if below > 0 else 1.0


class SinglingOut(Attack):
    name = "singling_out"

    def run(self, data: AttackData, options: AttackOptions, rng: np.random.Generator) -> list[AttackResult]:
        ncols = len(data.real.names)
        if options.n_cols > ncols or options.n_cols < 1:
            raise InputError(f"multivariate singling out needs 1 to {ncols} columns per query, "
                             f"not {options.n_cols}", field="n-cols")
        real = data.real.unique_rows()
        syn = data.synthetic.unique_rows()
        control = None if data.control is None else data.control.unique_rows()
        results = []
        for mode in ("univariate", "multivariate"):
            if mode == "univariate":
                queries, attempts = univariate_queries(syn, options.n_attacks, rng), 0
                baseline_cols = 1
            else:
                queries, attempts = multivariate_queries(syn, options.n_attacks, options.n_cols,
                                                         options.max_attempts, rng)
                baseline_cols = options.n_cols
            n_success = int((count_matches(real, queries) == 1).sum())
            baseline = random_queries(syn, options.n_attacks, baseline_cols, rng)
            n_baseline = int((count_matches(real, baseline) == 1).sum())
            n_control: float | None = None
            correction = 1.0
            if control is not None:
                n_control = float((count_matches(control, queries) == 1).sum())
                if control.rows != real.rows and len(queries):
                    correction = size_correction(control, queries, real.rows, rng)
                    n_control *= correction
            results.append(AttackResult.build(
                f"singling_out.{mode}", n_attacks=options.n_attacks, n_success=n_success, n_baseline=n_baseline,
                n_control=n_control, confidence=options.confidence,
                details={"queries": len(queries), "attempts": attempts, "n_cols": 1 if mode == "univariate"
                         else options.n_cols, "control_size_correction": correction}))
        return results
