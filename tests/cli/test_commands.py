"""The CLI end to end on one workspace: every command, text and JSON, and its exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from clirunner import run_cli
from datasets import META, write_dataset
from synthguard.config import Settings

REGISTER_ARGS = [f"--{k}={v}" for k, v in META.items()]


@pytest.fixture
def registered(cli_env: Settings, tmp_path: Path) -> Path:
    assert run_cli("init").code == 0
    data = write_dataset(tmp_path / "data")
    result = run_cli("register", str(data), "--name", "customers", *REGISTER_ARGS, "--tag", "env=test")
    assert result.code == 0, result.err
    return data


def test_init_creates_a_private_key_and_is_idempotent(cli_env: Settings) -> None:
    first = json.loads(run_cli("init", "--format", "json").out)
    again = json.loads(run_cli("init", "--format", "json").out)
    assert first["key_id"] == again["key_id"]
    key_files = list(cli_env.keys_dir.glob("*.key"))
    assert len(key_files) == 1 and stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(cli_env.keys_dir.stat().st_mode) == 0o700
    assert (cli_env.home / "config.toml").exists()


def test_register_json_and_idempotence(registered: Path) -> None:
    out = json.loads(run_cli("register", str(registered), "--name", "customers", *REGISTER_ARGS,
                             "--format", "json").out)
    assert out["ref"] == "customers@1" and out["created"] is False and out["digest"].startswith("sha256:")


def test_verify_exit_codes(registered: Path) -> None:
    assert run_cli("verify", str(registered)).code == 0
    (registered / "customers.csv").write_text("customer_id\nX\n")
    result = run_cli("verify", str(registered), "--name", "customers", "--format", "json")
    assert result.code == 1 and "customers.csv" in json.loads(result.out)["reason"]


def test_ls_show_tag(registered: Path) -> None:
    assert [v["ref"] for v in json.loads(run_cli("ls", "--tag", "env=test", "--format", "json").out)] == [
        "customers@1"]
    assert json.loads(run_cli("ls", "--tag", "env=prod", "--format", "json").out) == []
    shown = json.loads(run_cli("show", "customers@1", "--format", "json").out)[0]
    assert shown["source"] == META["source"] and shown["parent"] is None and len(shown["files"]) == 3
    assert run_cli("tag", "customers@1", "env=prod", "--remove", "nothing").code == 0
    assert json.loads(run_cli("ls", "--tag", "env=prod", "--format", "json").out)[0]["ref"] == "customers@1"
    assert "customers@1" in run_cli("show", "customers").out


@pytest.mark.parametrize("fmt", ["prov-json", "openlineage", "intoto"])
def test_lineage_formats(registered: Path, fmt: str) -> None:
    result = run_cli("lineage", "customers@1", "--format", fmt)
    assert result.code == 0, result.err
    assert json.loads(result.out)


def test_audit_verify_proof_export(registered: Path) -> None:
    assert run_cli("audit", "verify").code == 0
    proof = json.loads(run_cli("audit", "proof", "--entry", "0").out)
    assert proof["type"] == "inclusion" and proof["index"] == 0
    assert json.loads(run_cli("audit", "proof", "--from-checkpoint", "1").out)["type"] == "consistency"
    for fmt in ("ocsf", "cef", "jsonl"):
        lines = run_cli("audit", "export", "--format", fmt).out.splitlines()
        assert len(lines) >= 2 and any("dataset.register" in line for line in lines)
    assert run_cli("audit", "export", "--format", "splunk").code == 2
    assert run_cli("audit", "export", "--since", "2999-01-01").out == ""


def test_key_rotate_and_list(registered: Path) -> None:
    rotated = json.loads(run_cli("key", "rotate", "--format", "json").out)
    keys = json.loads(run_cli("key", "list", "--format", "json").out)
    assert keys["active"] == rotated["active"] and set(keys["keys"]) == {rotated["active"], rotated["previous"]}
    assert run_cli("verify", str(registered)).code == 0
    assert run_cli("audit", "verify").code == 0


def test_bundle_round_trip(registered: Path, cli_env: Settings, tmp_path: Path) -> None:
    bundle = tmp_path / "c.bundle.json"
    assert run_cli("export-bundle", "customers@1", "--out", str(bundle)).code == 0
    key = next(cli_env.keys_dir.glob("*.pub"))
    assert run_cli("verify", str(registered), "--bundle", str(bundle), "--key", str(key)).code == 0
    assert run_cli("verify", str(registered), "--bundle", str(bundle)).code == 2


def test_every_state_change_is_audited(registered: Path) -> None:
    run_cli("tag", "customers@1", "x=y")
    run_cli("verify", str(registered))
    run_cli("register", "/nonexistent", "--name", "customers", *REGISTER_ARGS)
    run_cli("key", "rotate")
    actions = [json.loads(line)["action"] + ":" + json.loads(line)["outcome"]
               for line in run_cli("audit", "export", "--format", "jsonl").out.splitlines()]
    for expected in ("workspace.init:success", "dataset.register:success", "dataset.tag:success",
                     "dataset.verify:success", "dataset.register:failure", "key.rotate:success"):
        assert expected in actions
