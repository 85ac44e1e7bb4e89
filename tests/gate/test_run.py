"""Streaming the gate over files: rows in = clean + quarantined on every run, atomic outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthguard.errors import InputError
from synthguard.gate import Gate, GateConfig, GateOptions, run_gate
from synthguard.gate.detectors import build_detectors

GATE = Gate(build_detectors(GateConfig()))


def _table(n: int, synthetic_every: int = 3) -> pa.Table:
    return pa.table({
        "id": list(range(n)),
        "email": [f"u{i}@example.com" if i % synthetic_every == 0 else f"u{i}@shop.de" for i in range(n)],
        "amount": [i * 1.5 for i in range(n)],
    })


def _rows(path: Path) -> int:
    return sum(1 for _ in path.open(encoding="utf-8")) - 1 if path.suffix == ".csv" else pq.read_metadata(path).num_rows


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_clean_and_quarantined_rows_add_up(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"in{suffix}"
    table = _table(1000)
    if suffix == ".csv":
        pacsv.write_csv(table, source)
    elif suffix == ".parquet":
        pq.write_table(table, source)
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()))
    run = run_gate(GATE, source, GateOptions("quarantine", tmp_path / f"clean{suffix}", tmp_path / "q", batch_rows=97))
    assert run.rows_in == 1000 and run.quarantined == 334 and run.clean == 666
    quarantine = Path(run.quarantine or "")
    sidecar = [json.loads(line) for line in (quarantine / "sidecar.jsonl").open()]
    assert [s["row"] for s in sidecar] == [i + 1 for i in range(0, 1000, 3)]
    assert json.loads((quarantine / "summary.json").read_text())["rows_in"] == 1000
    if suffix != ".jsonl":
        assert _rows(tmp_path / f"clean{suffix}") == 666
        assert _rows(quarantine / f"rows.{suffix.lstrip('.')}") == 334


def test_flag_policy_keeps_every_row_with_a_reason(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(_table(30), source)
    run = run_gate(GATE, source, GateOptions("flag", tmp_path / "out.parquet"))
    out = pq.read_table(tmp_path / "out.parquet")
    assert run.clean == 30 and run.flagged == 10 and out.num_rows == 30
    assert out.column("_synthguard_reason").null_count == 20


def test_block_policy_reports_blocked(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(_table(10), source)
    assert run_gate(GATE, source, GateOptions("block")).blocked
    pq.write_table(_table(10, synthetic_every=100).slice(1), source)
    assert not run_gate(GATE, source, GateOptions("block")).blocked


def test_truncated_parquet_leaves_no_output(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(_table(5000), source, row_group_size=500)
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError):
        run_gate(GATE, source, GateOptions("quarantine", tmp_path / "clean.parquet", tmp_path / "q"))
    assert not (tmp_path / "clean.parquet").exists()
    assert not any(p for p in tmp_path.iterdir() if "synthguard-tmp" in p.name)
    assert not (tmp_path / "q").exists() or not any((tmp_path / "q").iterdir())


def test_csv_failing_midway_leaves_no_output(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    good = "".join(f"{i},u{i}@shop.de\n" for i in range(200_000))
    source.write_text("id,email\n" + good + "oops\n")
    with pytest.raises(InputError):
        run_gate(GATE, source, GateOptions("quarantine", tmp_path / "clean.csv", tmp_path / "q", batch_rows=1000))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "q"]
    assert list((tmp_path / "q").iterdir()) == []


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(st.tuples(st.integers(-5, 5), st.sampled_from(["a@example.com", "b@shop.de", "", None])),
                     max_size=60), cut=st.integers(0, 4000))
def test_fuzzed_and_truncated_csv_never_loses_a_row(tmp_path_factory: pytest.TempPathFactory,
                                                    rows: list[tuple[int, str | None]], cut: int) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    text = "id,email\n" + "".join(f"{i},{e if e is not None else ''}\n" for i, e in rows)
    source = tmp / "in.csv"
    source.write_text(text[: max(cut, 9)])
    try:
        run = run_gate(GATE, source, GateOptions("quarantine", tmp / "clean.csv", tmp / "q", batch_rows=7))
    except InputError:
        assert not (tmp / "clean.csv").exists()
        return
    assert run.rows_in == run.clean + run.quarantined
    if run.rows_in:
        assert _rows(tmp / "clean.csv") == run.clean


_SLOW_GATE = """
import sys, time
from pathlib import Path
from synthguard.gate import Gate, GateConfig, GateOptions, run_gate
from synthguard.gate.detectors import build_detectors
class Slow:
    name = "slow"
    def detect(self, batch, metadata):
        time.sleep(0.05)
        from synthguard.gate.detectors.interface import Detection
        return Detection.none(batch.num_rows)
gate = Gate([Slow(), *build_detectors(GateConfig())])
print("started", flush=True)
run_gate(gate, Path(sys.argv[1]), GateOptions("quarantine", Path(sys.argv[2]), Path(sys.argv[3]), batch_rows=100))
"""


def test_killed_mid_run_leaves_no_output_under_a_real_name(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(_table(20_000), source)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_GATE, str(source), str(tmp_path / "clean.parquet"),
                             str(tmp_path / "q")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "clean.parquet").exists()
    assert all(p.name.startswith(".") for p in (tmp_path / "q").iterdir())
    assert source.exists() and pq.read_metadata(source).num_rows == 20_000
