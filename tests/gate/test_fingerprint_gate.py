"""Rows registered as synthetic are caught by fingerprint, however they come back."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from clirunner import run_cli
from datasets import META, customers
from synthguard.config import Settings
from synthguard.errors import InputError
from synthguard.fingerprint.sets import FingerprintRequest
from synthguard.gate import GateOptions, run_gate
from synthguard.server.app import create_app
from synthguard.server.live import serving
from synthguard.workspace import Workspace


def _register(ws: Workspace, tmp_path: Path, **kwargs: object) -> Path:
    data = tmp_path / "synthetic"
    data.mkdir()
    table = customers(200, seed=5).drop_columns(["email"])  # no test domain: only fingerprints can tell
    pq.write_table(table, data / "customers.parquet")
    ws.register([data], name="customers", **META, **kwargs)  # type: ignore[arg-type]
    return data / "customers.parquet"


def _production_mix(registered: pa.Table) -> pa.Table:
    """20 synthetic rows hidden among 100 real ones, columns reordered, ints widened / narrowed."""
    real = customers(100, seed=77).drop_columns(["email"])
    mixed = pa.concat_tables([real.slice(0, 50), registered.slice(10, 20), real.slice(50)])
    return mixed.select(["lifetime_value", "country", "customer_id"])


def test_registered_rows_are_caught_in_every_format(ws: Workspace, tmp_path: Path) -> None:
    registered = pq.read_table(_register(ws, tmp_path))
    mixed = _production_mix(registered)
    (tmp_path / "in").mkdir()
    paths = {"parquet": tmp_path / "in" / "m.parquet", "csv": tmp_path / "in" / "m.csv",
             "jsonl": tmp_path / "in" / "m.jsonl"}
    pq.write_table(mixed, paths["parquet"])
    pacsv.write_csv(mixed, paths["csv"])
    paths["jsonl"].write_text("".join(json.dumps(r) + "\n" for r in mixed.to_pylist()))
    for fmt, path in paths.items():
        run = run_gate(ws.gate, path, GateOptions("quarantine", tmp_path / f"clean.{fmt}", tmp_path / "q"))
        assert (run.rows_in, run.quarantined) == (120, 20), fmt
        assert run.versions == {"customers@1": 20} and run.by_detector == {"fingerprint": 20}


def test_frames_and_type_widening(ws: Workspace, tmp_path: Path) -> None:
    registered = pq.read_table(_register(ws, tmp_path))
    mixed = _production_mix(registered)
    widened = mixed.set_column(0, "lifetime_value", pc.cast(mixed.column("lifetime_value"), pa.float64()))
    assert ws.gate.check(widened).synthetic == 20
    pandas = pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    assert ws.gate.check(pandas.DataFrame(mixed.to_pydict())).synthetic == 20
    assert ws.gate.check(polars.from_arrow(mixed)).synthetic == 20


def test_a_column_subset_set_and_normalisers(ws: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    pq.write_table(pa.table({"email": ["Ana@Shop.DE", "bo@shop.de"], "n": [1, 2]}), data / "t.parquet")
    ws.register([data], name="emails", **META,
                fingerprints=FingerprintRequest.parse("email", ["email=lower-trim"]))  # type: ignore[arg-type]
    incoming = pa.table({"email": ["  ana@shop.de", "carl@shop.de"], "other": ["x", "y"]})
    result = ws.gate.check(incoming)
    assert result.mask.tolist() == [True, False] and result.matches[0].version == "emails@1"


def test_retired_versions_leave_the_index(ws: Workspace, tmp_path: Path) -> None:
    registered = pq.read_table(_register(ws, tmp_path))
    assert ws.gate.check(registered).synthetic == 200
    assert ws.retire("customers@1") == 1
    assert ws.gate.check(registered).synthetic == 0
    assert "dataset.retire" in [e.action for e in ws.audit.events()]


def test_missing_fingerprint_columns_are_named(ws: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    pq.write_table(pa.table({"a": [1]}), data / "t.parquet")
    with pytest.raises(InputError, match="no table has all fingerprint columns"):
        ws.register([data], name="x", **META, fingerprints=FingerprintRequest.parse("email,phone"))  # type: ignore[arg-type]
    assert ws.versions() == []


def test_cli_register_with_fingerprint_options_and_gate_check(cli_env: Settings, tmp_path: Path) -> None:
    assert run_cli("init").code == 0
    data = tmp_path / "d"
    data.mkdir()
    pq.write_table(pa.table({"email": ["a@shop.de", "b@shop.de"], "n": [1, 2]}), data / "t.parquet")
    args = [f"--{k}={v}" for k, v in META.items()]
    result = run_cli("register", str(data), "--name", "e", *args, "--fingerprint-columns", "email",
                     "--normalise", "email=lower-trim")
    assert result.code == 0, result.err
    (tmp_path / "in.csv").write_text("n,email\n9,A@SHOP.DE\n8,z@shop.de\n")
    result = run_cli("gate", "check", str(tmp_path / "in.csv"), "--format", "json")
    assert result.code == 1 and json.loads(result.out)["versions"] == {"e@1": 1}


def test_http_body_with_registered_rows_is_refused(ws: Workspace, tmp_path: Path) -> None:
    import httpx
    from fastapi import FastAPI

    registered = pq.read_table(_register(ws, tmp_path))
    inner = FastAPI()

    @inner.post("/crm/upsert")
    def upsert() -> dict[str, bool]:
        return {"ok": True}

    app = create_app(ws, gated_paths=["/crm/"])
    app.mount("/", inner)
    records = registered.slice(0, 2).to_pylist() + customers(1, seed=99).drop_columns(["email"]).to_pylist()
    with serving(app) as base:
        response = httpx.post(f"{base}/crm/upsert", json={"records": records})
    assert response.status_code == 422
    assert [(f["index"], f["version"]) for f in response.json()["findings"]] == [(0, "customers@1"), (1, "customers@1")]


def test_a_named_fingerprint_set_missing_from_the_input_is_an_error(cli_env: Settings, tmp_path: Path) -> None:
    assert run_cli("init").code == 0
    data = tmp_path / "d"
    data.mkdir()
    pq.write_table(pa.table({"email": ["a@shop.de"], "phone": ["+49 1"]}), data / "t.parquet")
    args = [f"--{k}={v}" for k, v in META.items()]
    assert run_cli("register", str(data), "--name", "e", *args, "--fingerprint-columns", "email,phone").code == 0
    (tmp_path / "in.csv").write_text("email,name\na@shop.de,x\n")
    result = run_cli("gate", "check", str(tmp_path / "in.csv"), "--fingerprint-columns", "phone,email")
    assert result.code == 2 and "missing: phone" in result.err and "email, name" in result.err
    assert not list((tmp_path).glob("*.synthguard-tmp"))
    result = run_cli("gate", "check", str(tmp_path / "in.csv"), "--fingerprint-columns", "iban")
    assert result.code == 2 and "no fingerprint set" in result.err


def test_gate_reads_standard_input(cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    assert run_cli("init").code == 0
    body = "id,email\n1,a@example.com\n2,b@shop.de\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body.encode())))
    result = run_cli("gate", "check", "-", "--input-format", "csv", "--policy", "quarantine",
                     "--out", str(tmp_path / "clean.csv"), "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["invariant"] == "2 in = 1 clean + 1 quarantined"
    assert (tmp_path / "clean.csv").read_text().splitlines() == ['"id","email"', '2,"b@shop.de"']
    assert run_cli("gate", "check", "-").code == 2
