"""Singling-out predicates: generated ones single out a synthetic record, and the control-size
correction's shortcut counts exactly what evaluating each subsample would."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from risk_tables import people

from synthguard.risk.attacks import singling_out as so
from synthguard.risk.data import encode


def _frames() -> tuple[so.Frame, so.Frame]:
    table = people(800, seed=4)
    income = table.column("income").to_numpy().astype(float)
    income[::17] = np.nan
    table = table.set_column(1, "income", pa.array(income, from_pandas=True))
    syn, control = encode([("syn", table), ("control", people(500, seed=5))])
    return syn.unique_rows(), control.unique_rows()


def test_generated_predicates_single_out_a_synthetic_record() -> None:
    syn, _ = _frames()
    rng = np.random.default_rng(1)
    uni = so.univariate_queries(syn, 300, rng)
    multi, _ = so.multivariate_queries(syn, 300, 3, 100_000, rng)
    assert len(uni) > 50 and len(multi) == 300
    assert (so.count_matches(syn, uni) == 1).all() and (so.count_matches(syn, multi) == 1).all()
    assert len(set(multi.keys())) == len(multi)  # distinct


def test_subsample_counts_match_direct_evaluation() -> None:
    syn, control = _frames()
    rng = np.random.default_rng(2)
    queries = so.Queries.concat([so.multivariate_queries(syn, 200, 2, 50_000, rng)[0],
                                 so.random_queries(syn, 200, 2, rng)])
    num, cat = control.matrices()
    counts = so._count(num, cat, queries.kind, queries.col, queries.op, queries.val, control.rows + 1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rows = so._match_rows(num, cat, queries.kind, queries.col, queries.op, queries.val, offsets)
    for size in (50, 200, control.rows):
        picked = rng.choice(control.rows, size=size, replace=False)
        chosen = np.zeros(control.rows, dtype=np.bool_)
        chosen[picked] = True
        direct = int((so.count_matches(control.take(np.sort(picked)), queries) == 1).sum())
        assert so._singles_in(offsets, rows, chosen) == direct
    factor = so.size_correction(control, queries, 2 * control.rows, rng)
    assert factor > 0.0
