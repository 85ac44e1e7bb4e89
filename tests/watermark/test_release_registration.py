"""How a release registers its copy: one transaction with the release row, no fp-v1 fingerprints, and the
gate still stopping the copy when it comes back unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from wm_tables import POLICY, orders

from clirunner import run_cli
from datasets import META
from synthguard.config import Settings
from synthguard.errors import SynthGuardError
from synthguard.store.tables import AuditEntryRow, ReleaseRow, VersionRow
from synthguard.watermark import list_releases, release
from synthguard.workspace import Workspace

ROWS = 20_000


@pytest.fixture
def source(ws: Workspace, tmp_path: Path) -> Path:
    path = tmp_path / "orders.parquet"
    pq.write_table(orders(ROWS, seed=5), path)
    ws.register([path], name="orders", **META)
    return path


def _events(ws: Workspace, action: str) -> list[AuditEntryRow]:
    with ws.session() as session:
        return list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == action)
                                    .order_by(AuditEntryRow.seq)))


def test_a_copy_is_registered_without_fingerprints_and_the_gate_still_stops_it(
        ws: Workspace, source: Path, tmp_path: Path, cli_env: Settings) -> None:
    result = release(ws, "orders@1", recipient="acme", purpose="churn", out=tmp_path / "acme.parquet", data=source,
                     policy=POLICY)
    registered = _events(ws, "dataset.register")
    assert [e.object for e in registered] == ["orders@1", "orders@2"]
    assert registered[0].details["fingerprint_sets"] and registered[1].details["fingerprint_sets"] == []
    assert result.release.released_as == "orders@2" and ws.verify([tmp_path / "acme.parquet"], "orders@2").ok
    # The copy, values unchanged but as CSV (no Parquet stamp to go by; e-mails dropped, else the test-domain
    # detector answers first): the watermark detector blocks every row.
    pacsv.write_csv(pq.read_table(tmp_path / "acme.parquet").drop_columns(["email"]), tmp_path / "back.csv")
    blocked = run_cli("gate", "check", str(tmp_path / "back.csv"), "--policy", "block", "--format", "json")
    assert blocked.code == 1, blocked.err
    summary = json.loads(blocked.out)
    assert summary["synthetic"] == ROWS and summary["by_detector"] == {"watermark": ROWS}


def test_a_failed_final_transaction_leaves_no_version_release_or_file(
        ws: Workspace, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    append_in = ws.audit.append_in

    def failing(session: Any, drafts: list[Any]) -> Any:
        if any(d.action == "release.create" for d in drafts):  # after the copy's version was added
            raise SynthGuardError("the store went away")
        return append_in(session, drafts)

    monkeypatch.setattr(ws.audit, "append_in", failing)
    with pytest.raises(SynthGuardError, match="store went away"):
        release(ws, "orders@1", recipient="acme", purpose="churn", out=tmp_path / "acme.csv", data=source,
                policy=POLICY)
    monkeypatch.undo()
    assert not (tmp_path / "acme.csv").exists() and not list(tmp_path.glob(".*synthguard-tmp"))
    with ws.session() as session:
        assert session.scalar(select(func.count()).select_from(VersionRow)) == 1
        assert session.scalar(select(func.count()).select_from(ReleaseRow)) == 0
    assert [e.object for e in _events(ws, "dataset.register")] == ["orders@1"]
    failures = _events(ws, "release.create")
    assert [e.outcome for e in failures] == ["failure"] and "store went away" in failures[0].details["error"]
    # Nothing half-done is in the way: the same release then succeeds as orders@2.
    done = release(ws, "orders@1", recipient="acme", purpose="churn", out=tmp_path / "acme.csv", data=source,
                   policy=POLICY)
    assert done.release.released_as == "orders@2" and [r.id for r in list_releases(ws, "orders")] == [done.release.id]
    assert ws.audit.verify().ok
