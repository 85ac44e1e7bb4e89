"""``disclose image verify`` recovering a manifest from the workspace repository and ``… image reattach``,
from the shell: audit-log digest check, exit codes, nothing written on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imagekit import PKI, half, jpeg, make_pki, pixels, product_image, save
from PIL import Image

from clirunner import Result, run_cli
from synthguard.config import Settings
from synthguard.disclosure.images import Credentials, LabelOptions, Provenance, label_image
from synthguard.workspace import Workspace


def image_cli(*args: str) -> Result:
    return run_cli("disclose", "image", *args)


WID = "00000000c0c0c0c0"


@pytest.fixture
def labelled(cli: Settings, tmp_path: Path) -> tuple[PKI, Path, Path]:
    """(PKI in <home>/c2pa, a labelled image, its half-size q75 CDN copy)."""
    pki = make_pki(cli.home / "c2pa")
    out = tmp_path / "site" / "chair.jpg"
    result = image_cli(str(save(product_image(12), tmp_path / "gan.png")), "--out", str(out), "--watermark-id", WID,
                       "--generator", "sdxl 1.0", "--sidecar", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["manifest_stored"] == str(cli.home / "c2pa-manifests" / f"{WID}.c2pa")
    assert data["sidecar"] == str(out.with_suffix(".c2pa")) and Path(data["sidecar"]).is_file()
    assert "manifest_store" not in data
    cdn = tmp_path / "cdn" / "chair-480.jpg"
    cdn.parent.mkdir()
    Image.fromarray(jpeg(half(pixels(out)))).save(cdn, quality=90)
    return pki, out, cdn


def _events(ws: Workspace, action: str) -> list[tuple[str, str, str]]:
    return [(e.outcome, e.object, e.digest) for e in ws.audit.events() if e.action == action]


def test_recover_then_reattach(labelled: tuple[PKI, Path, Path], ws: Workspace, cli: Settings,
                               tmp_path: Path) -> None:
    pki, _out, cdn = labelled
    [(_, entry, digest)] = _events(ws, "disclosure.image.manifest")
    assert entry == f"c2pa-manifests/{WID}.c2pa" and digest.startswith("sha256:")

    checked = image_cli("verify", str(cdn), "--trust-anchor", str(pki.root), "--format", "json")
    assert checked.code == 0, checked.err
    report = json.loads(checked.out)
    assert report["credentials"] == "recovered-via-watermark" and report["ok"]
    r = report["recovery"]
    assert r["source"] == "repository" and r["audit"] == "audited" and r["sha256"] == digest
    assert r["soft_binding"] == "matched" and r["hard_binding"] == "mismatch" and r["watermark_id"] == WID
    assert r["manifest"]["signer"] == "test storefront signer" and r["manifest"]["ai_generated"]
    text = image_cli("verify", str(cdn), "--trust-anchor", str(pki.root))
    assert "credentials recovered-via-watermark: repository" in text.out and "hard binding mismatch" in text.out

    restored = tmp_path / "restored.jpg"
    done = image_cli("reattach", str(cdn), "--out", str(restored), "--trust-anchor", str(pki.root), "--format", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["actions"] == ["c2pa.opened", "c2pa.resized", "c2pa.transcoded"]
    again = image_cli("verify", str(restored), "--trust-anchor", str(pki.root), "--require-credentials")
    assert again.code == 0, again.err
    assert "credentials embedded-valid" in again.out and "parent ingredient: 1" in again.out
    [(outcome, obj, _)] = _events(ws, "disclosure.image.reattach")
    assert outcome == "success" and obj == str(restored)
    assert [e[0] for e in _events(ws, "disclosure.image.verify")] == ["success"] * 3


@pytest.mark.parametrize("position", [200, -100, -5])
def test_any_flipped_byte_in_the_repository_fails(labelled: tuple[PKI, Path, Path], cli: Settings,
                                                  position: int) -> None:
    # -100 lies in padding that C2PA does not sign: only the audited digest catches it.
    pki, _out, cdn = labelled
    entry = cli.home / "c2pa-manifests" / f"{WID}.c2pa"
    store = bytearray(entry.read_bytes())
    store[position] ^= 0x01
    entry.write_bytes(bytes(store))
    checked = image_cli("verify", str(cdn), "--trust-anchor", str(pki.root), "--format", "json")
    assert checked.code == 1
    report = json.loads(checked.out)
    assert report["credentials"] == "invalid" and report["recovery"]["audit"] == "mismatch"


def test_unaudited_or_missing_repository_entry_fails(labelled: tuple[PKI, Path, Path], cli: Settings,
                                                     tmp_path: Path) -> None:
    pki, _out, cdn = labelled
    # Signed by the right key and bound to the right id, but put there behind the workspace's back.
    sneaked = tmp_path / "sneaked.jpg"
    label_image(save(product_image(15), tmp_path / "s.png"), sneaked, LabelOptions(
        Provenance(watermark_id="00000000000000aa"), Credentials.load(pki.key, pki.chain),
        repository=cli.home / "c2pa-manifests"))
    copy = tmp_path / "sneaked-cdn.jpg"
    Image.fromarray(jpeg(pixels(sneaked))).save(copy, quality=90)
    unaudited = image_cli("verify", str(copy), "--trust-anchor", str(pki.root))
    assert unaudited.code == 1 and "was not stored by this workspace (no audit record)" in unaudited.out

    (cli.home / "c2pa-manifests" / f"{WID}.c2pa").unlink()
    missing = image_cli("verify", str(cdn), "--trust-anchor", str(pki.root), "--require-credentials")
    assert missing.code == 1 and f"credentials absent: no stored manifest for watermark id {WID}" in missing.out
    assert image_cli("verify", str(cdn)).code == 0  # without --require-credentials the watermark still marks it


def test_manifest_flag_for_another_image(labelled: tuple[PKI, Path, Path], tmp_path: Path) -> None:
    _pki, _out, cdn = labelled
    other = tmp_path / "other.jpg"
    assert image_cli(str(save(product_image(13), tmp_path / "o.png")), "--out", str(other), "--watermark-id", "abc",
                     "--sidecar").code == 0
    checked = image_cli("verify", str(cdn), "--manifest", str(other.with_suffix(".c2pa")), "--format", "json")
    assert checked.code == 1
    report = json.loads(checked.out)
    assert report["credentials"] == "invalid" and report["recovery"]["soft_binding"] == "mismatched"


def test_reattach_failures(labelled: tuple[PKI, Path, Path], ws: Workspace, cli: Settings, tmp_path: Path) -> None:
    _pki, out, _cdn = labelled
    plain = save(product_image(14), tmp_path / "plain.jpg")
    target = tmp_path / "never.jpg"
    failed = image_cli("reattach", str(plain), "--out", str(target))
    assert failed.code == 1 and not target.exists()
    assert "no manifest recovered: no watermark found" in failed.err
    intact = image_cli("reattach", str(out), "--out", str(target))
    assert intact.code == 2 and "already carries valid Content Credentials" in intact.err and not target.exists()
    missing = image_cli("verify", str(plain), "--manifest", str(tmp_path / "nope.c2pa"))
    assert missing.code == 2 and "nope.c2pa: cannot read" in missing.err
    not_a_store = image_cli("verify", str(plain), "--manifest", str(plain))
    assert not_a_store.code == 2 and "plain.jpg, field 'manifest': not a C2PA manifest store" in not_a_store.err
    assert [e[0] for e in _events(ws, "disclosure.image.reattach")] == ["failure", "failure"]
