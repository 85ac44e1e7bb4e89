"""Detection: read the marks of a fragment, vote per codeword position, score every release.

The fragment's columns must already carry their scheme names (``columns.map_columns`` does that).
For a release that did not produce the fragment, each decided position matches its codeword with
probability ½, independently (codeword bits are pseudo-random and independent of the data and of other
releases), so ``P(matches ≥ m) = P(Bin(n, ½) ≥ m)`` is an exact p-value, and multiplying it by the number
of releases checked (Bonferroni) bounds the chance that *any* innocent release is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from . import _kernels
from .scheme import Scheme, select_cells

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Votes:
    """What a fragment says about the codeword: per position, how many cells read 1 and 0."""

    ones: I64
    zeros: I64
    rows: I64  # for every read mark: its row, codeword position, estimated codeword bit and column
    positions: I64
    estimates: npt.NDArray[np.int8]
    column_of: I64  # index into ``columns``
    columns: tuple[str, ...]

    @property
    def marks(self) -> int:
        return int(self.estimates.size)

    @property
    def decided(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.ones != self.zeros, dtype=bool)

    @property
    def majority(self) -> npt.NDArray[np.uint8]:
        return (self.ones > self.zeros).astype(np.uint8)


def read_votes(table: pa.Table, scheme: Scheme, secret: bytes) -> Votes:
    cells = select_cells(table, scheme, secret)
    rows: list[I64] = []
    positions: list[I64] = []
    estimates: list[npt.NDArray[np.int8]] = []
    column_of: list[I64] = []
    columns: list[str] = []
    for column, selected in cells.items():
        target = scheme.target(column)
        assert target is not None
        values = table.column(column).combine_chunks()
        if isinstance(values, pa.ChunkedArray):  # an empty column has no chunk to combine
            values = pa.array([], values.type)
        bits = target.mark().read_bits(values)[selected.rows]
        readable = bits >= 0
        rows.append(selected.rows[readable])
        positions.append(selected.positions[readable])
        estimates.append((bits[readable].astype(np.uint8) ^ selected.masks[readable]).astype(np.int8))
        column_of.append(np.full(int(readable.sum()), len(columns), dtype=np.int64))
        columns.append(column)
    row_array = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    position_array = np.concatenate(positions) if positions else np.zeros(0, np.int64)
    estimate_array = np.concatenate(estimates) if estimates else np.zeros(0, np.int8)
    column_array = np.concatenate(column_of) if column_of else np.zeros(0, np.int64)
    ones, zeros = _kernels.tally(position_array, estimate_array, scheme.code_length)
    return Votes(ones, zeros, row_array, position_array, estimate_array, column_array, tuple(columns))


@dataclass(frozen=True)
class Scores:
    """Each candidate's evidence against one set of votes (arrays indexed like the codewords)."""

    positions: int  # decided positions (the binomial n)
    matches: I64  # decided positions whose majority equals the candidate's bit
    agreeing_marks: I64  # single marks equal to the candidate's bit
    marks: int
    log10_p: F64  # log10 P(Bin(n, ½) ≥ matches)


def score(votes: Votes, codewords: npt.NDArray[np.uint8]) -> Scores:
    decided = votes.decided
    majority = votes.majority
    matches = (codewords[:, decided] == majority[decided]).sum(axis=1).astype(np.int64)
    words = codewords.astype(np.int64)
    agreeing = words @ votes.ones + (1 - words) @ votes.zeros
    n = int(decided.sum())
    return Scores(n, matches, agreeing.astype(np.int64), votes.marks, log10_binomial_tail(n)[matches])


def log10_binomial_tail(n: int) -> F64:
    """``out[m] = log10 P(Bin(n, ½) ≥ m)`` for m = 0..n, exactly (log-space sums; no underflow).

    Hand-written (a dozen lines) rather than pulling in SciPy for one function; checked against
    direct summation with Python integers in the tests.
    """
    log_pmf = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in range(n + 1)])
    log_pmf -= n * math.log(2)
    tail = np.empty(n + 1)
    running = -math.inf
    for k in range(n, -1, -1):
        running = np.logaddexp(running, log_pmf[k])
        tail[k] = running
    return np.minimum(tail / math.log(10), 0.0)
