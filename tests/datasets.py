"""Small deterministic tables written as CSV, Parquet and JSON Lines for tests."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def customers(n: int = 50, seed: int = 0) -> pa.Table:
    return pa.table({
        "customer_id": [f"C{seed:02d}{i:05d}" for i in range(n)],
        "email": [f"user{i}.{seed}@example.com" for i in range(n)],
        "country": [["DE", "FR", "NL", "IE"][i % 4] for i in range(n)],
        "lifetime_value": [round(10.5 * i + seed, 2) for i in range(n)],
    })


def write_dataset(directory: Path, seed: int = 0, n: int = 50) -> Path:
    """A directory holding the same kind of table in the three formats."""
    directory.mkdir(parents=True, exist_ok=True)
    table = customers(n, seed)
    pacsv.write_csv(table, directory / "customers.csv")
    pq.write_table(table, directory / "customers.parquet")
    with (directory / "customers.jsonl").open("w", encoding="utf-8") as fh:
        for row in table.to_pylist():
            fh.write(json.dumps(row) + "\n")
    return directory


META = {"generator": "ctgan 0.10.1", "source": "orders_2025 (real, EU)", "purpose": "fraud-model training",
        "owner": "ana@shop.example"}
