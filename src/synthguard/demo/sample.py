"""A small, deterministic synthetic e-commerce sample (customers and orders), made without network.

Seeded ``random.Random`` only, so every run writes byte-identical files; e-mail addresses use the
reserved ``example.com`` domain (RFC 2606) so nothing here can reach a real inbox.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FIRST = ["Ana", "Bram", "Chloé", "Dario", "Eva", "Finn", "Greta", "Hugo", "Inès", "Jonas", "Katrin", "Luca"]
LAST = ["Schmidt", "Dubois", "de Vries", "Rossi", "Murphy", "Novak", "García", "Keller", "Lindqvist"]
COUNTRIES = ["DE", "FR", "NL", "IT", "IE", "ES", "SE", "AT"]
SKUS = [f"SKU-{n:04d}" for n in range(1, 61)]


def customers(rng: random.Random, n: int) -> pa.Table:
    first = [rng.choice(FIRST) for _ in range(n)]
    last = [rng.choice(LAST) for _ in range(n)]
    return pa.table({
        "customer_id": [f"SYN-C{i:06d}" for i in range(n)],
        "first_name": first,
        "last_name": last,
        "email": [f"{f.lower()}.{i}@example.com" for i, f in enumerate(first)],
        "country": [rng.choice(COUNTRIES) for _ in range(n)],
        "signup_date": [date(2024, 1, 1) + timedelta(days=rng.randrange(600)) for _ in range(n)],
        "is_synthetic": [True] * n,
    })


def orders(rng: random.Random, n: int, customer_count: int) -> pa.Table:
    return pa.table({
        "order_id": [f"SYN-O{i:07d}" for i in range(n)],
        "customer_id": [f"SYN-C{rng.randrange(customer_count):06d}" for _ in range(n)],
        "sku": [rng.choice(SKUS) for _ in range(n)],
        "quantity": [rng.randint(1, 5) for _ in range(n)],
        "amount_eur": [round(rng.uniform(4.99, 499.0), 2) for _ in range(n)],
        "ordered_at": [date(2025, 1, 1) + timedelta(days=rng.randrange(365)) for _ in range(n)],
    })


def write_sample(directory: Path, *, seed: int = 2025, customer_count: int = 500,
                 order_count: int = 2000) -> Path:
    """Write ``customers.csv`` and ``orders.parquet`` into ``directory`` and return it."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(customers(rng, customer_count), directory / "customers.csv")
    pq.write_table(orders(rng, order_count, customer_count), directory / "orders.parquet")
    return directory


def write_production_export(synthetic_orders: Path, out: Path, *, seed: int = 7) -> Path:
    """280 fresh orders (another seed) with 20 rows of the registered synthetic orders hidden inside."""
    rng = random.Random(seed)
    fresh = orders(rng, 280, 500)
    fresh = fresh.set_column(0, "order_id", pa.array([f"PRD-O{i:07d}" for i in range(280)]))
    leaked = pq.read_table(synthetic_orders).slice(100, 20)
    pq.write_table(pa.concat_tables([fresh.slice(0, 140), leaked, fresh.slice(140)]), out)
    return out
