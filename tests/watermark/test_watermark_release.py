"""``release``, ``releases``, ``trace`` and the gate's watermark detector against a real workspace."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from wm_tables import POLICY, leak, orders, rounded

from clirunner import run_cli
from datasets import META
from synthguard.config import Settings
from synthguard.errors import InputError
from synthguard.store.tables import AuditEntryRow
from synthguard.watermark import keys, list_releases, release
from synthguard.workspace import Workspace

ROWS = 20_000
POLICY_TOML = """
[columns.country]
method = "categorical"
equivalent = [["DE", "DEU"], ["FR", "FRA"], ["NL", "NLD"], ["IE", "IRL"]]
"""


@pytest.fixture
def source(ws: Workspace, tmp_path: Path) -> Path:
    path = tmp_path / "orders.parquet"
    pq.write_table(orders(ROWS, seed=3), path)
    ws.register([path], name="orders", **META)
    (tmp_path / "policy.toml").write_text(POLICY_TOML, encoding="utf-8")
    return path


def _release(ws: Workspace, source: Path, recipient: str, out: Path) -> str:
    return release(ws, "orders", recipient=recipient, purpose="churn model", out=out, data=source,
                   policy=source.parent / "policy.toml").release.id


def _audit(ws: Workspace, action: str) -> list[AuditEntryRow]:
    with ws.session() as session:
        return list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == action)))


def test_release_registers_signs_audits_and_lists(ws: Workspace, source: Path, tmp_path: Path) -> None:
    result = release(ws, "orders@1", recipient="acme-analytics", purpose="churn model", out=tmp_path / "acme.parquet",
                     data=source, expires="2099-12-31", policy=POLICY)
    r = result.release
    assert (tmp_path / "acme.parquet").exists() and r.status == "active" and r.dataset == "orders@1"
    assert r.released_as == "orders@2" and r.expires is not None
    assert r.expires.isoformat() == "2100-01-01T00:00:00+00:00"
    copy = ws.lineage("orders@2")[0]
    assert copy.tags == {"release": r.id, "recipient": "acme-analytics", "released_from": "orders@1"}
    assert copy.envelope["signatures"] and ws.verify([tmp_path / "acme.parquet"], "orders@2").ok
    assert set(r.utility["columns"]) == {"country", "unit_price", "discount", "shipping", "total", "weight_kg"}
    assert r.utility["columns"]["total"]["ks"] < 0.01 and r.utility["columns"]["total"]["max_abs_change"] <= 0.06
    assert r.watermark["key_id"].startswith("wm:") and "secret" not in json.dumps(r.watermark)
    assert [x.id for x in list_releases(ws, "orders")] == [r.id]
    events = _audit(ws, "release.create")
    assert len(events) == 1 and events[0].details["recipient"] == "acme-analytics"
    # The secret: 32 bytes, mode 0600, nowhere in the audit log.
    key_file = ws.settings.keys_dir / keys.KEY_FILE
    secret = key_file.read_bytes()
    assert len(secret) == 32 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with ws.session() as session:
        everything = json.dumps([e.details for e in session.scalars(select(AuditEntryRow))])
    assert secret.hex() not in everything
    # A bare name releases the newest original version, never a released copy.
    second = release(ws, "orders", recipient="globex", purpose="fraud", out=tmp_path / "globex.csv", data=source,
                     policy=POLICY)
    assert second.release.dataset == "orders@1"


def test_trace_names_the_recipient_through_the_cli(ws: Workspace, source: Path, tmp_path: Path,
                                                   cli_env: Settings) -> None:
    ids = {who: _release(ws, source, who, tmp_path / f"{who}.parquet") for who in ("acme", "globex", "initech")}
    rng = np.random.default_rng(1)
    fragment = leak(pq.read_table(tmp_path / "globex.parquet"), rng, rows=0.05)
    fragment = rounded(fragment).rename_columns([f"c_{n}" if n in ("total", "order_id") else n
                                                 for n in fragment.column_names])
    pacsv.write_csv(fragment, tmp_path / "found-online.csv")
    result = run_cli("trace", str(tmp_path / "found-online.csv"), "--format", "json")
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "attributed" and report["attributed"] is True
    top = report["candidates"][0]
    assert top["release_id"] == ids["globex"] and top["recipient"] == "globex" and top["bound"] <= 1e-9
    assert [c["recipient"] for c in report["candidates"] if c["named"]] == ["globex"]
    text = run_cli("trace", str(tmp_path / "found-online.csv"))
    assert text.code == 1 and "ATTRIBUTED" in text.out and "globex" in text.out
    assert _audit(ws, "release.trace")[-1].details["named"][0]["recipient"] == "globex"


def test_unrelated_table_is_no_attribution(ws: Workspace, source: Path, tmp_path: Path, cli_env: Settings) -> None:
    _release(ws, source, "acme", tmp_path / "acme.parquet")
    pacsv.write_csv(orders(5_000, seed=77), tmp_path / "other.csv")
    result = run_cli("trace", str(tmp_path / "other.csv"), "--format", "json")
    assert result.code == 0 and json.loads(result.out)["verdict"] == "no attribution"
    assert "NO ATTRIBUTION" in run_cli("trace", str(tmp_path / "other.csv")).out


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_bad_fragments_exit_2_with_one_line(ws: Workspace, source: Path, tmp_path: Path, cli_env: Settings) -> None:
    _release(ws, source, "acme", tmp_path / "acme.parquet")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("order_id,total\n", encoding="utf-8")
    pacsv.write_csv(pa.table({"sku": ["a", "b", "c"] * 20, "colour": ["red"] * 60}), tmp_path / "unrelated.csv")
    (tmp_path / "twice.csv").write_text("total,total\n1.5,2.5\n", encoding="utf-8")
    for name, expected in (("empty.csv", "empty file"), ("header.csv", "no rows"), ("twice.csv", "appears twice"),
                           ("unrelated.csv", "no column matches"), ("missing.csv", "cannot read")):
        result = run_cli("trace", str(tmp_path / name))
        line = _one_line(result.err)
        assert result.code == 2 and name in line and expected in line, (name, result.err)
    assert all(e.outcome == "failure" for e in _audit(ws, "release.trace"))


def test_destroyed_or_replaced_key_never_names_anyone(ws: Workspace, source: Path, tmp_path: Path,
                                                      cli_env: Settings) -> None:
    _release(ws, source, "acme", tmp_path / "acme.parquet")
    pacsv.write_csv(pq.read_table(tmp_path / "acme.parquet").slice(0, 2_000), tmp_path / "leak.csv")
    # Retired (kept): still traced, with a note.
    assert run_cli("watermark-key", "rotate").code == 0
    retired = run_cli("trace", str(tmp_path / "leak.csv"))
    assert retired.code == 1 and "retired watermark key" in retired.out
    # Replaced by a wrong secret of the same size: a different key id, nothing is checked, nobody named.
    for path in (ws.settings.keys_dir / keys.RETIRED_DIR).glob("*.key"):
        path.write_bytes(bytes(32))
    replaced = run_cli("trace", str(tmp_path / "leak.csv"), "--format", "json")
    assert replaced.code == 2 and "no longer holds" in _one_line(replaced.err) and replaced.out == ""
    # Destroyed: the same clear refusal.
    for path in (ws.settings.keys_dir / keys.RETIRED_DIR).glob("*.key"):
        path.unlink()
    destroyed = run_cli("trace", str(tmp_path / "leak.csv"))
    assert destroyed.code == 2 and "no longer holds" in _one_line(destroyed.err)


def test_bad_release_requests_write_nothing_and_are_audited(ws: Workspace, source: Path, tmp_path: Path,
                                                            cli_env: Settings) -> None:
    base = ["release", "orders", "--recipient", "acme", "--purpose", "x", "--data", str(source)]
    (tmp_path / "exists.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text('[columns.colour]\nmethod = "categorical"\nequivalent = [["a","b"]]\n')
    other = tmp_path / "other.parquet"
    pq.write_table(orders(100, seed=9), other)
    cases = [
        (["--out", str(tmp_path / "exists.csv")], "already exists"),
        (["--out", str(tmp_path / "o.xlsx")], "output format"),
        (["--out", str(tmp_path / "o.csv"), "--expires", "2001-01-01"], "in the past"),
        (["--out", str(tmp_path / "o.csv"), "--expires", "next week"], "invalid date"),
        (["--out", str(tmp_path / "o.csv"), "--policy", str(tmp_path / "bad.toml")], "'colour'"),
    ]
    for extra, expected in cases:
        result = run_cli(*base, *extra)
        assert result.code == 2 and expected in _one_line(result.err), (extra, result.err)
    wrong_data = run_cli("release", "orders", "--recipient", "acme", "--purpose", "x", "--data", str(other),
                         "--out", str(tmp_path / "o.csv"))
    assert wrong_data.code == 2 and "not part of orders@1" in _one_line(wrong_data.err)
    bad_recipient = run_cli("release", "orders", "--recipient", "a b", "--purpose", "x", "--data", str(source),
                            "--out", str(tmp_path / "o.csv"))
    assert bad_recipient.code == 2 and "recipient" in bad_recipient.err
    assert not (tmp_path / "o.csv").exists() and not list(tmp_path.glob(".*synthguard-tmp"))
    assert list_releases(ws, "orders") == [] and len(ws.versions()) == 1
    assert len(_audit(ws, "release.create")) == len(cases) + 2
    assert run_cli("audit", "verify").code == 0


def test_policy_file_errors_name_file_and_field(tmp_path: Path) -> None:
    from synthguard.watermark.policy import Policy

    bad = tmp_path / "p.yaml"
    bad.write_text("columns:\n  total:\n    method: numeric\n    rounding: -1\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        Policy.load(bad)
    assert "p.yaml" in error.value.diagnostics() and "total.rounding" in error.value.diagnostics()
    strict = Policy.from_mapping({"columns": {"total": {"method": "numeric", "rounding": 5, "tolerance": 0.01}}})
    with pytest.raises(InputError, match="over the tolerance"):
        strict.scheme_for(orders(100), "wm:x")
    with pytest.raises(InputError, match="no column can carry marks"):
        Policy().scheme_for(pa.table({"id": ["a", "b"], "n": [1, 2]}), "wm:x")


def test_releases_are_tenant_scoped(ws: Workspace, source: Path, tmp_path: Path, cli_env: Settings,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _release(ws, source, "acme", tmp_path / "acme.parquet")
    pacsv.write_csv(pq.read_table(tmp_path / "acme.parquet").slice(0, 2_000), tmp_path / "leak.csv")
    listed = run_cli("releases", "orders", "--format", "json")
    assert listed.code == 0 and [r["recipient"] for r in json.loads(listed.out)] == ["acme"]
    monkeypatch.setenv("SYNTHGUARD_TENANT", "other-shop")
    assert run_cli("releases", "orders").code == 2
    other = run_cli("trace", str(tmp_path / "leak.csv"))
    assert other.code == 2 and "no releases" in other.err


def test_gate_recognises_a_released_copy_after_its_values_changed(ws: Workspace, source: Path, tmp_path: Path,
                                                                  cli_env: Settings) -> None:
    _release(ws, source, "acme", tmp_path / "acme.parquet")
    copy = rounded(pq.read_table(tmp_path / "acme.parquet").drop_columns(["email"]))
    pacsv.write_csv(copy, tmp_path / "crm-sync.csv")
    result = run_cli("gate", "check", str(tmp_path / "crm-sync.csv"), "--policy", "block", "--format", "json")
    assert result.code == 1, result.err
    summary = json.loads(result.out)
    assert summary["synthetic"] == ROWS and summary["by_detector"] == {"watermark": ROWS}
    assert summary["versions"] == {"orders@2": ROWS}
    # Production rows alone pass.
    pacsv.write_csv(orders(5_000, seed=123).drop_columns(["email"]), tmp_path / "prod.csv")
    clean = run_cli("gate", "check", str(tmp_path / "prod.csv"), "--format", "json")
    assert clean.code == 0 and json.loads(clean.out)["synthetic"] == 0


def test_gate_on_a_mixed_batch_flags_copied_rows_before_others(ws: Workspace, source: Path, tmp_path: Path) -> None:
    _release(ws, source, "acme", tmp_path / "acme.parquet")
    copy = rounded(pq.read_table(tmp_path / "acme.parquet").slice(0, 10_000).drop_columns(["email"]))
    copy = copy.replace_schema_metadata(None)  # else the metadata-tag detector flags every row
    prod = orders(10_000, seed=321).drop_columns(["email"])
    mixed = pa.concat_tables([copy, prod.cast(copy.schema)])
    result = ws.gate.check(mixed)
    flagged = result.mask
    copied, other = flagged[:10_000].mean(), flagged[10_000:].mean()
    # Rows carry one or two marks each, so per-row evidence is thin: precision first.
    assert copied > 0.1 and other < 0.06 and copied > 3 * other


def test_risk_policy_refuses_unless_overridden(ws: Workspace, source: Path, tmp_path: Path, cli_env: Settings) -> None:
    with ws.settings.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n[risk]\nmax_singling_out = 0.05\n")
    args = ["release", "orders", "--recipient", "acme", "--purpose", "x", "--data", str(source)]
    refused = run_cli(*args, "--out", str(tmp_path / "a.csv"))
    assert refused.code == 1 and "risk" in refused.err and not (tmp_path / "a.csv").exists()
    allowed = run_cli(*args, "--out", str(tmp_path / "a.csv"), "--override-risk", "vendor DPA signed, test data")
    assert allowed.code == 0, allowed.err
    assert _audit(ws, "risk.override")[0].details["reason"] == "vendor DPA signed, test data"


def _shuffled(t: pa.Table, rng: np.random.Generator) -> pa.Table:
    return t.take(pa.array(rng.permutation(t.num_rows)))


TRANSFORMATIONS = {
    "shuffled.parquet": _shuffled,
    "subset.parquet": lambda t, rng: t.take(pa.array(rng.choice(t.num_rows, t.num_rows // 20, replace=False))),
    "columns-dropped.parquet": lambda t, rng: t.drop_columns(["order_id", "email", "country"]),
    "renamed.parquet": lambda t, rng: t.rename_columns([n.upper() if i % 2 else f"x_{i}"
                                                        for i, n in enumerate(t.column_names)]),
    "as.csv": lambda t, rng: t,
    "as.jsonl": lambda t, rng: t.slice(0, 4_000),
    "rounded.csv": lambda t, rng: rounded(t, 2),
    "text-in-numbers.csv": lambda t, rng: t.set_column(
        t.schema.get_field_index("total"), "total",
        pa.array(["n/a" if i % 10 == 0 else str(v) for i, v in enumerate(t.column("total").to_pylist())])),
}


def test_a_released_copy_round_trips_through_trace_after_each_transformation(ws: Workspace, source: Path,
                                                                             tmp_path: Path) -> None:
    from synthguard.tabular.writers import TableWriter
    from synthguard.watermark import trace

    ids = {who: _release(ws, source, who, tmp_path / f"{who}.parquet") for who in ("acme", "globex")}
    copy = pq.read_table(tmp_path / "globex.parquet").replace_schema_metadata(None)
    rng = np.random.default_rng(4)
    for name, transform in TRANSFORMATIONS.items():
        changed = transform(copy, rng)
        writer = TableWriter(tmp_path / name, changed.schema)
        for batch in changed.to_batches():
            writer.write(batch)
        writer.commit()
        report = trace(ws, tmp_path / name)
        assert [c.release.id for c in report.named] == [ids["globex"]], name
