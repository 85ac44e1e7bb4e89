"""Where a release reads its source table: the file the version was registered from (when it is still there
and unchanged), or ``--data``; every other case is a one-line exit 2 that says which."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from wm_tables import POLICY, orders

from clirunner import run_cli
from datasets import META
from synthguard.config import Settings
from synthguard.errors import InputError
from synthguard.watermark import release
from synthguard.workspace import Workspace

ROWS = 5_000


@pytest.fixture
def source(ws: Workspace, tmp_path: Path) -> Path:
    path = tmp_path / "exports" / "orders.parquet"
    path.parent.mkdir()
    pq.write_table(orders(ROWS, seed=11), path)
    ws.register([path], name="orders", **META)
    return path


def test_release_reads_the_registered_file_without_data(ws: Workspace, source: Path, tmp_path: Path,
                                                        cli_env: Settings) -> None:
    assert ws.lineage("orders@1")[0].locations == {"orders.parquet": str(source.resolve())}
    done = run_cli("release", "orders@1", "--recipient", "acme", "--purpose", "churn", "--out",
                   str(tmp_path / "acme.parquet"), "--format", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["released_as"] == "orders@2"
    traced = run_cli("trace", str(tmp_path / "acme.parquet"), "--format", "json")
    assert traced.code == 1, traced.err
    assert json.loads(traced.out)["candidates"][0]["recipient"] == "acme"


def test_a_changed_source_file_is_refused_naming_it(ws: Workspace, source: Path, tmp_path: Path) -> None:
    pq.write_table(orders(ROWS, seed=12), source)
    with pytest.raises(InputError, match="changed since it was registered") as caught:
        release(ws, "orders@1", recipient="acme", purpose="churn", out=tmp_path / "acme.parquet", policy=POLICY)
    assert caught.value.exit_code == 2 and str(source) in caught.value.diagnostics()
    assert not (tmp_path / "acme.parquet").exists()


def test_a_moved_source_file_asks_for_data_and_data_still_works(ws: Workspace, source: Path,
                                                                 tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.parquet"
    shutil.move(source, moved)
    with pytest.raises(InputError, match="no longer where it was registered from; pass the file with --data"):
        release(ws, "orders@1", recipient="acme", purpose="churn", out=tmp_path / "acme.parquet", policy=POLICY)
    done = release(ws, "orders@1", recipient="acme", purpose="churn", out=tmp_path / "acme.parquet", data=moved,
                   policy=POLICY)
    assert done.release.released_as == "orders@2"


def test_a_multi_table_version_needs_data(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    pq.write_table(orders(100, seed=1), folder / "a.parquet")
    pq.write_table(orders(100, seed=2), folder / "b.parquet")
    ws.register([folder], name="two", **META)
    with pytest.raises(InputError, match=r"two@1 holds 2 tables \(a.parquet, b.parquet\); name the one"):
        release(ws, "two@1", recipient="acme", purpose="churn", out=tmp_path / "acme.parquet", policy=POLICY)
