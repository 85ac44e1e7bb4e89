"""``synthguard disclose image`` / ``… image verify`` from the shell: workspace, audit, exit codes, bad input."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from imagekit import PKI, half, jpeg, make_pki, pixels, product_image, save, strip_metadata
from PIL import Image

from clirunner import Result, run_cli
from datasets import META, write_dataset
from synthguard.config import Settings
from synthguard.workspace import Workspace


def image_cli(*args: str) -> Result:
    return run_cli("disclose", "image", *args)


def _events(ws: Workspace, action: str) -> list[dict[str, object]]:
    return [{"outcome": e.outcome, "object": e.object, "details": e.details, "digest": e.digest}
            for e in ws.audit.events() if e.action == action]


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_label_from_catalogue_then_verify(cli: Settings, ws: Workspace, tmp_path: Path) -> None:
    version = ws.register([write_dataset(tmp_path / "data")], name="catalog-images", **META).version
    source = save(product_image(5), tmp_path / "gan.png")
    out = tmp_path / "site" / "product-17.jpg"
    labelled = image_cli(str(source), "--out", str(out), "--dataset", "catalog-images@1", "--format", "json")
    assert labelled.code == 0, labelled.err
    result = json.loads(labelled.out)
    expected_id = version.digest.split(":", 1)[1][:16]
    assert result["provenance"]["watermark_id"] == expected_id
    assert result["provenance"]["dataset"] == "catalog-images@1"
    assert result["provenance"]["generator"] == META["generator"]
    assert not result["c2pa_signed"] and "no signing key" in result["c2pa_skipped_reason"]
    # Audited with the file's digest and the watermark id.
    [event] = _events(ws, "disclosure.image")
    assert event["outcome"] == "success" and event["digest"] == f"sha256:{result['sha256']}"
    assert event["details"]["watermark_id"] == expected_id

    # The CDN strips metadata and serves a half-size q75 copy: the id still leads to the catalogue.
    cdn = tmp_path / "cdn.jpg"
    Image.fromarray(jpeg(half(pixels(out)))).save(cdn, quality=95)
    checked = image_cli("verify", str(cdn), "--format", "json")
    assert checked.code == 0, checked.err
    report = json.loads(checked.out)
    assert report["watermark"]["watermark_id"] == expected_id and report["watermark"]["bit_accuracy"] >= 0.9
    assert report["catalogue"]["ref"] == "catalog-images@1"
    assert not report["xmp"]["present"] and report["ai_marked"]


def test_sign_with_home_credentials_and_trust_anchor(cli: Settings, tmp_path: Path) -> None:
    pki = make_pki(cli.home / "c2pa")  # <home>/c2pa/signer.key + chain.pem: no flags needed
    source = save(product_image(6), tmp_path / "gan.png")
    out = tmp_path / "p.png"
    labelled = image_cli(str(source), "--out", str(out), "--generator", "sdxl 1.0", "--watermark-id", "beef")
    assert labelled.code == 0, labelled.err
    assert "manifest signed by test storefront signer" in labelled.out
    checked = image_cli("verify", str(out), "--trust-anchor", str(pki.root))
    assert checked.code == 0, checked.err
    assert "C2PA       Trusted; signed by test storefront signer" in checked.out
    assert "id 000000000000beef" in checked.out


def test_sign_with_flags(cli: Settings, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    out = tmp_path / "p.jpg"
    source = save(product_image(8), tmp_path / "gan.png")
    assert image_cli("label", str(source), "--out", str(out), "--key", str(pki.key), "--cert", str(pki.chain)).code == 0
    report = json.loads(image_cli("verify", str(out), "--trust-anchor", str(pki.root), "--format", "json").out)
    assert report["c2pa"]["trusted"] and report["ok"]


def test_verify_exit_1_when_nothing_marks_it(cli: Settings, ws: Workspace, tmp_path: Path) -> None:
    plain = save(product_image(9), tmp_path / "photo.jpg", quality=90)
    result = image_cli("verify", str(plain))
    assert result.code == 1
    assert "NOT marked as AI-generated" in result.out
    [event] = _events(ws, "disclosure.image.verify")
    assert event["outcome"] == "failure"


def test_verify_exit_1_when_manifest_tampered(cli: Settings, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    out = tmp_path / "p.jpg"
    image_cli(str(save(product_image(10), tmp_path / "gan.png")), "--out", str(out), "--key", str(pki.key),
              "--cert", str(pki.chain))
    for entry in (cli.home / "c2pa-manifests").iterdir():
        entry.unlink()  # nothing to recover from: the embedded manifest is all there is
    data = bytearray(out.read_bytes())
    data[data.rfind(b"\xff\xda") + 300] ^= 0x55
    out.write_bytes(bytes(data))
    result = image_cli("verify", str(out))
    assert result.code == 1 and "Invalid" in result.out and "assertion.dataHash.mismatch" in result.out
    assert "credentials invalid" in result.out


def test_verify_recovers_when_the_embedded_manifest_breaks(cli: Settings, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    out = tmp_path / "p.jpg"
    image_cli(str(save(product_image(10), tmp_path / "gan.png")), "--out", str(out), "--key", str(pki.key),
              "--cert", str(pki.chain), "--generator", "sdxl")
    # A tool rewrote a string in the metadata: the embedded manifest breaks, the pixels and their watermark do not.
    data = out.read_bytes().replace(b"sdxl", b"SDXL", 1)
    out.write_bytes(data)
    result = image_cli("verify", str(out), "--trust-anchor", str(pki.root))
    assert "C2PA       Invalid" in result.out and "mismatch" in result.out
    assert "marked AI-generated by XMP, C2PA (recovered), watermark" in result.out
    assert result.code == 0 and "credentials recovered-via-watermark: repository" in result.out


def test_verify_works_without_a_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          cli: Settings, ws: Workspace) -> None:
    out = tmp_path / "p.jpg"
    assert image_cli(str(save(product_image(11), tmp_path / "gan.png")), "--out", str(out)).code == 0
    stripped = strip_metadata(out, tmp_path / "stripped.jpg")
    monkeypatch.setenv("SYNTHGUARD_HOME", str(tmp_path / "nowhere"))
    result = image_cli("verify", str(stripped), "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["watermark"]["detected"]


def _huge_png(path: Path) -> Path:
    """A PNG header claiming 100,000 × 100,000 pixels (the data is never needed)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    header = (100_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def _not_an_image(directory: Path) -> Path:
    (directory / "notes.jpg").write_text("not an image")
    return directory / "notes.jpg"


def _truncated_jpeg(directory: Path) -> Path:
    whole = save(product_image(12), directory / "whole.jpg", quality=90).read_bytes()
    (directory / "cut.jpg").write_bytes(whole[:20_000])
    return directory / "cut.jpg"


@pytest.mark.parametrize(("make", "message"), [
    (_not_an_image, "not an image"),
    (_truncated_jpeg, "damaged image data"),
    (lambda d: _huge_png(d / "huge.png"), "over the limit of 50,000,000 pixels"),
    (lambda d: d / "missing.png", "cannot read"),
])
def test_bad_input_exit_2_nothing_written(cli: Settings, ws: Workspace, tmp_path: Path,
                                          make: Callable[[Path], Path], message: str) -> None:
    source = make(tmp_path)
    out = tmp_path / "out" / "labelled.jpg"
    result = image_cli(str(source), "--out", str(out))
    assert result.code == 2, result
    line = _one_line(result.err)
    assert line.startswith(f"error: {source}") and message in line
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))
    [event] = _events(ws, "disclosure.image")
    assert event["outcome"] == "failure"
    checked = image_cli("verify", str(source))
    assert checked.code == 2 and message in _one_line(checked.err)


@pytest.mark.parametrize(("args", "message"), [
    (["--watermark-id", "not-hex"], "field 'watermark-id': watermark id must be 1 to 16 hexadecimal digits"),
    (["--key", "k.pem"], "field 'cert': C2PA signing needs both --key and --cert"),
    (["--dataset", "nope@1"], "unknown dataset 'nope'"),
])
def test_bad_options_exit_2(cli: Settings, tmp_path: Path, args: list[str], message: str) -> None:
    source = save(product_image(13), tmp_path / "gan.png")
    out = tmp_path / "labelled.jpg"
    result = image_cli(str(source), "--out", str(out), *args)
    assert result.code == 2 and message in _one_line(result.err)
    assert not out.exists()


def test_unknown_output_format_and_transparency(cli: Settings, tmp_path: Path) -> None:
    source = save(product_image(14), tmp_path / "gan.png")
    result = image_cli(str(source), "--out", str(tmp_path / "x.gif"))
    assert result.code == 2 and "use .jpg, .jpeg or .png" in result.err
    rgba = save(product_image(14).convert("RGBA"), tmp_path / "alpha.png")
    result = image_cli(str(rgba), "--out", str(tmp_path / "x.jpg"))
    assert result.code == 2 and "write this image as .png" in result.err
    assert image_cli(str(rgba), "--out", str(tmp_path / "x.png")).code == 0


def test_bad_trust_anchor(cli: Settings, tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("nope")
    plain = save(product_image(15), tmp_path / "p.jpg")
    result = image_cli("verify", str(plain), "--trust-anchor", str(junk))
    assert result.code == 2 and "not a PEM certificate file" in _one_line(result.err)


def test_existing_output_is_untouched_on_failure(cli: Settings, tmp_path: Path) -> None:
    out = tmp_path / "keep.jpg"
    out.write_bytes(b"previous")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nrubbish")
    assert image_cli(str(bad), "--out", str(out)).code == 2
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if "synthguard-tmp" in p.name] == []


def test_pki_fixture_is_usable(tmp_path: Path) -> None:
    pki: PKI = make_pki(tmp_path)
    assert pki.chain.read_bytes().count(b"BEGIN CERTIFICATE") == 2


def test_dimension_guard_below_pillows_own(tmp_path: Path) -> None:
    from synthguard.disclosure.images import raster
    from synthguard.errors import InputError

    big = save(Image.new("RGB", (3000, 2000)), tmp_path / "big.png")
    with pytest.raises(InputError, match="3000 × 2000 pixels, over the limit of 5,000,000 pixels"):
        raster.load(big, max_pixels=5_000_000)


def test_label_without_a_workspace(cli: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHGUARD_HOME", str(tmp_path / "nowhere"))
    source = save(product_image(16), tmp_path / "gan.png")
    out = tmp_path / "p.jpg"
    result = image_cli(str(source), "--out", str(out), "--generator", "sdxl 1.0", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["provenance"]["generator"] == "sdxl 1.0"
    # The catalogue is needed for --dataset: a clear error, nothing written.
    refused = image_cli(str(source), "--out", str(tmp_path / "q.jpg"), "--dataset", "x@1")
    assert refused.code == 2 and "--dataset needs a workspace" in _one_line(refused.err)
    assert not (tmp_path / "q.jpg").exists()
