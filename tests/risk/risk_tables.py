"""Seeded mixed-type tables for the risk tests: a 'real' population and synthetic sets made from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CITIES = ["Berlin", "Paris", "Amsterdam", "Dublin", "Madrid", "Rome", "Vienna", "Lisbon"]


def people(n: int, seed: int) -> pa.Table:
    """Correlated columns: age drives income; city and plan are categorical; score is continuous."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    income = np.round(rng.lognormal(9 + age / 60, 0.5, n), -2)
    return pa.table({
        "age": age,
        "income": income,
        "city": rng.choice(CITIES, n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03]),
        "plan": np.where(income > 20_000, rng.choice(["pro", "team"], n), rng.choice(["free", "pro"], n)),
        "score": np.round(rng.normal(50, 15, n), 1),
    })


def with_copies(real: pa.Table, fraction: float, seed: int) -> pa.Table:
    """A synthetic set the size of ``real``: ``fraction`` of it copied real records, the rest fresh
    records from the same generator."""
    n = real.num_rows
    copies = round(fraction * n)
    rng = np.random.default_rng(seed)
    copied = real.take(pa.array(rng.choice(n, size=copies, replace=False)))
    fresh = people(n - copies, seed + 1000)
    return pa.concat_tables([copied, fresh.cast(real.schema)]) if copies else fresh


def write(path: Path, table: pa.Table) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path
