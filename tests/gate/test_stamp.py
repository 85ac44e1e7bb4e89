"""Stamped copies carry the synthetic tags and come back through the gate recognised."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthguard.errors import InputError
from synthguard.gate import Gate, GateConfig, GateOptions, run_gate
from synthguard.gate.detectors import build_detectors
from synthguard.gate.stamp import stamp

GATE = Gate(build_detectors(GateConfig()))


def test_parquet_stamp_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "email": ["a@shop.de"] * 3}), source)
    assert stamp(source, tmp_path / "out.parquet", ref="customers@2", digest="sha256:ab") == 3
    metadata = pq.read_schema(tmp_path / "out.parquet").metadata
    assert metadata[b"synthguard.synthetic"] == b"true" and metadata[b"synthguard.dataset"] == b"customers@2"
    run = run_gate(GATE, tmp_path / "out.parquet", GateOptions("block"))
    assert run.blocked and run.versions == {"customers@2": 3}


def test_csv_stamp_needs_and_gets_a_marker_column(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,email\n1,a@shop.de\n2,b@shop.de\n")
    with pytest.raises(InputError, match="marker-column"):
        stamp(source, tmp_path / "out.csv")
    stamp(source, tmp_path / "out.csv", marker_column="is_synthetic")
    run = run_gate(GATE, tmp_path / "out.csv", GateOptions("block"))
    assert run.synthetic == 2 and run.by_detector == {"marker-column": 2}
