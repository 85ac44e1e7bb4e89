"""Bad input: one clear line naming the file / row / field, exit 2, nothing registered."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text

from clirunner import run_cli
from datasets import META, write_dataset
from synthguard.config import Settings

REGISTER_ARGS = [f"--{k}={v}" for k, v in META.items()]


def _register(*paths: Path, name: str = "customers") -> tuple[int, str]:
    result = run_cli("register", *map(str, paths), "--name", name, *REGISTER_ARGS)
    return result.code, result.err


@pytest.fixture
def workspace(cli_env: Settings) -> Settings:
    assert run_cli("init").code == 0
    return cli_env


def _nothing_registered(settings: Settings) -> None:
    out = run_cli("ls", "--format", "json").out
    assert out.strip() == "[]"
    assert run_cli("audit", "verify").code == 0


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_missing_path(workspace: Settings, tmp_path: Path) -> None:
    code, err = _register(tmp_path / "nope.csv")
    assert code == 2 and "nope.csv" in _one_line(err)
    _nothing_registered(workspace)


def test_empty_file(workspace: Settings, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    code, err = _register(tmp_path / "empty.csv")
    assert code == 2 and "empty.csv" in _one_line(err) and "empty" in err
    _nothing_registered(workspace)


def test_non_utf8_csv_names_row_and_field(workspace: Settings, tmp_path: Path) -> None:
    (tmp_path / "latin1.csv").write_bytes("id,name\n1,Zoë\n2,Jürgen\n".encode("latin-1"))
    code, err = _register(tmp_path / "latin1.csv")
    line = _one_line(err)
    assert code == 2 and "latin1.csv" in line and "row 2" in line and "'name'" in line and "UTF-8" in line
    _nothing_registered(workspace)


def test_truncated_parquet(workspace: Settings, tmp_path: Path) -> None:
    good = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": list(range(1000))}), good)
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    code, err = _register(good)
    assert code == 2 and "t.parquet" in _one_line(err) and "Parquet" in err
    _nothing_registered(workspace)


def test_symlink_loop(workspace: Settings, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    os.symlink(data, data / "loop")
    code, err = _register(data)
    assert code == 2 and "loop" in _one_line(err)
    _nothing_registered(workspace)


def test_csv_with_a_ragged_row(workspace: Settings, tmp_path: Path) -> None:
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    code, err = _register(tmp_path / "ragged.csv")
    assert code == 2 and "ragged.csv" in _one_line(err)
    _nothing_registered(workspace)


def test_unknown_format_and_a_directory_without_tables(workspace: Settings, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, err = _register(tmp_path / "notes.txt")
    assert code == 2 and "unknown table format" in _one_line(err)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("hello")
    code, err = _register(tmp_path / "docs")
    assert code == 2 and "no table files" in _one_line(err)
    _nothing_registered(workspace)


def test_unknown_version_and_bad_name(workspace: Settings, tmp_path: Path) -> None:
    assert _register(write_dataset(tmp_path / "d"))[0] == 0
    result = run_cli("show", "customers@9")
    assert result.code == 2 and "customers@9" in _one_line(result.err)
    result = run_cli("verify", str(tmp_path / "d"), "--name", "customers@x")
    assert result.code == 2 and "version" in _one_line(result.err)
    code, err = _register(tmp_path / "d", name="bad name!")
    assert code == 2 and "invalid dataset name" in _one_line(err)


def test_wrong_key_for_offline_verification(workspace: Settings, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "d")
    assert _register(data)[0] == 0
    assert run_cli("export-bundle", "customers@1", "--out", str(tmp_path / "b.json")).code == 0
    (tmp_path / "k.pem").write_text("not a key")
    result = run_cli("verify", str(data), "--bundle", str(tmp_path / "b.json"), "--key", str(tmp_path / "k.pem"))
    assert result.code == 2 and "k.pem" in _one_line(result.err)


def test_database_from_a_newer_schema_is_refused(workspace: Settings) -> None:
    engine = create_engine(workspace.database_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999_future')"))
    engine.dispose()
    result = run_cli("ls")
    assert result.code == 2 and "newer" in _one_line(result.err)


def test_command_before_init_says_what_to_do(cli_env: Settings) -> None:
    result = run_cli("ls")
    assert result.code == 2 and "synthguard init" in _one_line(result.err)


def test_usage_errors_exit_2_not_3(cli_env: Settings, tmp_path: Path) -> None:
    result = run_cli("register", str(tmp_path))
    assert result.code == 2 and "--name" in result.err
    assert run_cli("gate").code == 2
    assert run_cli("no-such-command").code == 2
