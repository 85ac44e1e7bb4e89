"""A CRM → storefront customer sync guarded by the SynthGuard gate (runnable example).

The storefront exposes ``POST /crm/upsert`` (a Salesforce-style body ``{"records": [...]}``) and
writes customers into its production database. The gate middleware sits in front of it: a batch
carrying synthetic test customers — marked ``Synthetic__c``, on a reserved test e-mail domain, or
registered as a synthetic dataset — is refused with 422 and a reason per record, and never
touches production. Every decision lands in the SynthGuard audit log.

    python examples/crm_sync.py            # uses a scratch workspace in a temporary directory
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

import synthguard as sg
from synthguard.server.app import create_app
from synthguard.server.live import serving


def storefront(production_db: Path) -> FastAPI:
    """The storefront's own sync endpoint: it knows nothing about synthetic data."""
    app = FastAPI()

    @app.post("/crm/upsert")
    async def upsert(request: Request) -> dict[str, Any]:
        records = (await request.json())["records"]
        with sqlite3.connect(production_db) as db:
            db.execute("CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, email TEXT, name TEXT)")
            db.executemany("INSERT OR REPLACE INTO customers VALUES (:Id, :Email, :Name)", records)
        return {"upserted": len(records)}

    return app


def run(workdir: Path) -> dict[str, Any]:
    ws = sg.init(workdir / "synthguard")
    production = workdir / "production.db"
    app = create_app(ws, gated_paths=["/crm/"], gate_policy="block")
    app.mount("/", storefront(production))
    real = {"records": [{"Id": "003A1", "Email": "jana.novak@gmail.com", "Name": "Jana Novak", "Synthetic__c": False}]}
    mixed = {"records": [
        {"Id": "003B1", "Email": "li.wei@outlook.com", "Name": "Li Wei", "Synthetic__c": False},
        {"Id": "003B2", "Email": "test.user@example.com", "Name": "Test User", "Synthetic__c": False},
        {"Id": "003B3", "Email": "anna@shop.de", "Name": "Anna (generated)", "Synthetic__c": True},
    ]}
    with serving(app) as base, httpx.Client(base_url=base) as client:
        first = client.post("/crm/upsert", json=real)
        second = client.post("/crm/upsert", json=mixed)
    with sqlite3.connect(production) as db:
        stored = [row[0] for row in db.execute("SELECT id FROM customers ORDER BY id")]
    audit = [e.action for e in ws.audit.events() if e.action.startswith("gate.")]
    ws.close()
    return {"real": (first.status_code, first.json()), "mixed": (second.status_code, second.json()),
            "production_ids": stored, "audit": audit}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run(Path(tmp))
    print("batch of real customers  ->", *outcome["real"])
    status, body = outcome["mixed"]
    print("batch with 2 synthetic   ->", status)
    for finding in body["findings"]:
        print(f"   record {finding['index']}: {finding['detector']}: {finding['reason']}")
    print("customers in production  ->", outcome["production_ids"])
    print("audit log gate decisions ->", outcome["audit"])


if __name__ == "__main__":
    main()
