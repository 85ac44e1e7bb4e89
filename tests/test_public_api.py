"""The small public surface of DESIGN.md: one Workspace, its verbs, and scan without a workspace."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

import synthguard as sg
from datasets import META, customers
from synthguard.workspace import Workspace

FIXTURES = Path(__file__).parent / "scan" / "fixtures"


def test_release_and_trace_through_the_workspace(ws: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "customers.parquet"
    pq.write_table(customers(5_000, seed=4), data)
    ws.register([data], name="customers", **META)
    for who in ("acme", "globex"):
        ws.release("customers@1", recipient=who, purpose="churn model", out=tmp_path / f"{who}.parquet", data=data)
    report = ws.trace(tmp_path / "globex.parquet")
    assert report.to_json()["verdict"] == "attributed"
    assert report.to_json()["candidates"][0]["recipient"] == "globex"


def test_scan_needs_no_workspace() -> None:
    result = sg.scan_paths([str(FIXTURES / "SG-STO-001" / "positive.tf")])
    assert any(f.check_id == "SG-STO-001" for f in result.findings)
