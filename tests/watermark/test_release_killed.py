"""A release killed (SIGKILL) at any moment never leaves a watermarked copy under its real name that no
release records: the copy is staged in a hidden directory and moved into place after the commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from wm_tables import orders

from datasets import META
from synthguard.catalog import register as catalog_register
from synthguard.config import Settings
from synthguard.store.tables import ReleaseRow
from synthguard.watermark import release
from synthguard.workspace import Workspace

ROWS = 400_000


def _release(settings: Settings, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SYNTHGUARD_HOME": str(settings.home), "SYNTHGUARD_DATABASE_URL": settings.database_url,
           "SYNTHGUARD_ACTOR": settings.actor}
    return subprocess.Popen([sys.executable, "-m", "synthguard", "release", "orders@1", "--recipient", "acme",
                             "--purpose", "kill test", "--out", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _recorded(ws: Workspace) -> set[str]:
    with ws.session() as session:
        return {row.out_path for row in session.scalars(select(ReleaseRow))}


def test_killed_release_never_leaves_an_unrecorded_copy(ws: Workspace, settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "orders.parquet"
    pq.write_table(orders(ROWS, seed=3), source)
    ws.register([source], name="orders", **META)
    outs = tmp_path / "outs"
    outs.mkdir()
    started = time.perf_counter()
    assert _release(settings, outs / "whole.parquet").wait(timeout=300) == 0
    duration = time.perf_counter() - started
    for k in range(1, 8):  # kill at spread-out moments: start-up, reading, embedding, writing, committing
        out = outs / f"killed-{k}.parquet"
        proc = _release(settings, out)
        time.sleep(duration * k / 8)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        recorded = _recorded(ws)
        if out.exists():
            assert str(out.absolute()) in recorded, f"kill {k}: {out.name} exists but no release records it"
        visible = {p.name for p in outs.iterdir() if not p.name.startswith(".")}
        assert visible <= {"whole.parquet"} | {f"killed-{j}.parquet" for j in range(1, k + 1)}
    assert ws.audit.verify().ok
    assert _release(settings, outs / "after.parquet").wait(timeout=300) == 0
    assert str((outs / "after.parquet").absolute()) in _recorded(ws)


def test_the_copy_reaches_its_name_only_after_the_records_commit(ws: Workspace, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The ordering the kill test relies on, checked at the exact moment: while the release's transaction
    is open the copy is not under ``out``; it is there once ``release`` returns."""
    source = tmp_path / "orders.parquet"
    pq.write_table(orders(2_000, seed=4), source)
    ws.register([source], name="orders", **META)
    out = tmp_path / "acme.parquet"
    seen: list[bool] = []
    store_in = catalog_register.store_in

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(out.exists())
        return store_in(*args, **kwargs)

    monkeypatch.setattr(catalog_register, "store_in", spy)
    release(ws, "orders@1", recipient="acme", purpose="p", out=out)
    assert seen == [False] and out.is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
