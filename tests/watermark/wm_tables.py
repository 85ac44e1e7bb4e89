"""Order tables shaped like a synthetic e-commerce export, and the leak transformations the tests apply."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

COUNTRIES = ["DE", "FR", "NL", "IE"]
EQUIVALENT = [["DE", "DEU"], ["FR", "FRA"], ["NL", "NLD"], ["IE", "IRL"]]
POLICY = {"columns": {"country": {"method": "categorical", "equivalent": EQUIVALENT}}}


def orders(n: int, seed: int = 0) -> pa.Table:
    """Ids, e-mails and timestamps (anchors), a categorical column, an integer and five float columns
    (prices in cents and full-precision floats, as generators write them)."""
    rng = np.random.default_rng(seed)
    return pa.table({
        "order_id": pa.array([f"O{seed}-{i:08d}" for i in range(n)]),
        "email": pa.array([f"u{x}@shop.example" for x in rng.integers(0, 10**12, n)]),
        "created_at": pa.array(1_700_000_000_000_000 + rng.integers(0, 10**13, n), pa.timestamp("us")),
        "country": pa.array(rng.choice(COUNTRIES, n)),
        "quantity": pa.array(rng.integers(1, 10, n)),
        "unit_price": pa.array(np.round(rng.lognormal(3, 1, n), 2)),
        "discount": pa.array(rng.uniform(0, 50, n)),
        "shipping": pa.array(rng.lognormal(2, 0.5, n)),
        "total": pa.array(rng.lognormal(4, 1, n)),
        "weight_kg": pa.array(rng.lognormal(1, 0.7, n)),
    })


def leak(table: pa.Table, rng: np.random.Generator, *, rows: float = 0.01, drop: float = 1 / 3,
         randomise: float = 0.1) -> pa.Table:
    """A share of the rows, shuffled; a share of the columns dropped at random; a share of every
    remaining column's cells replaced by values from random other rows."""
    picked = rng.choice(table.num_rows, max(1, int(table.num_rows * rows)), replace=False)
    fragment = table.take(pa.array(picked))
    names = list(fragment.column_names)
    kept = sorted(rng.choice(len(names), len(names) - round(len(names) * drop), replace=False).tolist())
    fragment = fragment.select([names[i] for i in kept])
    columns = {}
    for name in fragment.column_names:
        values = fragment.column(name).combine_chunks()
        hit = rng.random(fragment.num_rows) < randomise
        source = rng.integers(0, fragment.num_rows, fragment.num_rows)
        index = np.where(hit, source, np.arange(fragment.num_rows))
        columns[name] = values.take(pa.array(index))
    return pa.table(columns)


def rounded(table: pa.Table, decimals: int = 2) -> pa.Table:
    """Every float column rounded (as a spreadsheet export would)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            table = table.set_column(i, field.name, pa.array(np.round(table.column(i).to_numpy(), decimals)))
    return table
