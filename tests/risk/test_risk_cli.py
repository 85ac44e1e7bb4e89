"""``synthguard risk`` from the shell: reports stored, signed, audited and shown; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from risk_tables import people, with_copies, write

from clirunner import run_cli
from synthguard import config
from synthguard.provenance import dsse
from synthguard.risk.records import PAYLOAD_TYPE, latest_report

FAST = ["--n-attacks", "100", "--seed", "3"]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    real = people(600, seed=1)
    return {"real": write(tmp_path / "real.csv", real),
            "syn": write(tmp_path / "syn.parquet", with_copies(real, 0.3, seed=2)),
            "control": write(tmp_path / "control.csv", people(600, seed=9))}


def test_report_is_stored_signed_audited_and_shown(cli_env: config.Settings, files: dict[str, Path],
                                                   tmp_path: Path) -> None:
    syn_dir = tmp_path / "export"
    syn_dir.mkdir()
    (syn_dir / "syn.parquet").write_bytes(files["syn"].read_bytes())
    assert run_cli("init").code == 0
    assert run_cli("register", str(syn_dir), "--name", "customers", "--generator", "g", "--source", "s",
                   "--purpose", "p", "--owner", "o@example.com").code == 0
    html = tmp_path / "risk.html"
    result = run_cli("risk", "--real", str(files["real"]), "--synthetic", str(syn_dir / "syn.parquet"),
                     "--control", str(files["control"]), "--secret", "plan", "--dataset", "customers@1",
                     "--format", "html", "--out", str(html), *FAST)
    assert result.code == 0, result.err
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "inference[plan]" in page and "DCR to holdout" in page

    shown = run_cli("show", "customers@1")
    assert "linkability" in shown.out and "identical 30.000%" in shown.out
    detail = json.loads(run_cli("show", "customers@1", "--format", "json").out)[0]
    assert detail["risk_report"]["version"] == "customers@1"

    import synthguard as sg
    with sg.open(cli_env) as ws:
        version = ws.lineage("customers@1")[0]
        report, envelope = latest_report(ws, version.id)  # type: ignore[misc]
        assert envelope["payloadType"] == PAYLOAD_TYPE
        assert json.loads(dsse.verify(envelope, ws.keyring)) == report.to_json()
        events = [e for e in ws.audit.events() if e.action == "risk.assess"]
    assert [(e.object, e.outcome) for e in events] == [("customers@1", "success")]
    assert events[0].digest.startswith("sha256:") and events[0].details["risks"]["inference[plan]"] >= 0


def test_json_output_without_a_workspace(files: dict[str, Path], tmp_path: Path) -> None:
    result = run_cli("risk", "--real", str(files["real"]), "--synthetic", str(files["syn"]), "--no-store",
                     "--format", "json", "--no-distances", *FAST)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {a["label"] for a in data["attacks"]} == {"singling_out.univariate", "singling_out.multivariate",
                                                     "linkability"}
    assert data["distances"] is None and data["inputs"]["real"]["rows"] == 600


@pytest.mark.parametrize(("change", "message"), [
    ("schema", "columns differ from"),
    ("kind", "column is numeric"),
    ("secret", "secret column 'email' is not in the tables"),
    ("rows", "too few rows (50) for 100 linkability attacks"),
    ("aux", "auxiliary column(s) 'nope' not in the tables"),
    ("version", "names a version, but the catalogue keeps digests"),
])
def test_bad_input_is_one_clear_line(change: str, message: str, files: dict[str, Path], tmp_path: Path) -> None:
    args = ["--real", str(files["real"]), "--synthetic", str(files["syn"]), "--no-store", *FAST]
    if change == "schema":
        args[3] = str(write(tmp_path / "bad.csv", people(100, 4).drop(["score"])))
    elif change == "kind":
        table = people(100, 4)
        args[3] = str(write(tmp_path / "bad.csv", table.set_column(0, "age", pa.array([f"x{i}" for i in range(100)]))))
    elif change == "secret":
        args += ["--secret", "email"]
    elif change == "rows":
        args[1] = str(write(tmp_path / "small.csv", people(50, 4)))
    elif change == "aux":
        args += ["--aux-cols", "age,nope", "--aux-cols", "city"]
    else:
        args[3] = "customers@3"
    result = run_cli("risk", *args)
    assert result.code == 2, result.err
    assert result.err.startswith("error: ") and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    if change in ("schema", "kind"):
        assert str(args[3]) in result.err  # names the file
    if change == "kind":
        assert "'age'" in result.err  # and the field
