"""C2PA: sign with a test CA (ES256 and Ed25519), verify Valid / Trusted, detect tampering."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from imagekit import PKI, make_pki, product_image, save, strip_metadata

from synthguard.disclosure.images import (
    TRAINED_ALGORITHMIC_MEDIA,
    Credentials,
    LabelOptions,
    Provenance,
    VerifyOptions,
    label_image,
    verify_image,
)
from synthguard.disclosure.images import c2pa as c2pa_marks
from synthguard.errors import InputError

PROVENANCE = Provenance(dataset="catalog-images@3", dataset_digest="sha256:" + "ab" * 32,
                        generator="stylegan3 r-1024", watermark_id="abababababababab")


@pytest.fixture(scope="module", params=["es256", "ed25519"])
def pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp(f"pki-{request.param}"), algorithm=request.param)


def _signed(pki: PKI, tmp_path: Path, suffix: str = ".jpg") -> Path:
    source = save(product_image(7), tmp_path / "gan.png")
    out = tmp_path / f"signed{suffix}"
    result = label_image(source, out, LabelOptions(PROVENANCE, Credentials.load(pki.key, pki.chain)))
    assert result.c2pa_signed and result.c2pa_signer == "test storefront signer"
    return out


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_signed_manifest_is_trusted_with_the_test_ca(pki: PKI, tmp_path: Path, suffix: str) -> None:
    out = _signed(pki, tmp_path, suffix)
    report = verify_image(out, VerifyOptions(trust_anchors=pki.root.read_bytes()))
    c = report.c2pa
    assert c.present and c.state == "Trusted" and c.valid and c.trusted and not c.failures
    assert c.signer == "test storefront signer" and c.issuer == "SynthGuard Test CA"
    assert c.digital_source_types == (TRAINED_ALGORITHMIC_MEDIA,) and c.ai_generated
    assert c.synthguard == {"dataset": "catalog-images@3", "dataset_digest": PROVENANCE.dataset_digest,
                            "generator": "stylegan3 r-1024", "watermark_id": "abababababababab",
                            "width": 512, "height": 512}  # the size signed, for a later re-attachment
    assert c.soft_bindings == ("abababababababab",) and c.signature_valid and report.credentials == "embedded-valid"
    # Signing came last, so the XMP and the watermark written before it are still there.
    assert report.xmp.ai_generated and report.watermark.watermark_id == "abababababababab"
    assert report.ok


def test_without_anchors_intact_but_not_trusted(pki: PKI, tmp_path: Path) -> None:
    report = verify_image(_signed(pki, tmp_path))
    assert report.c2pa.state == "Valid" and report.c2pa.valid and not report.c2pa.trusted
    assert report.ok  # intact, and nobody asked for a trust anchor


def test_another_ca_is_not_trusted(pki: PKI, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other", name="other")
    report = verify_image(_signed(pki, tmp_path), VerifyOptions(trust_anchors=other.root.read_bytes()))
    assert report.c2pa.valid and not report.c2pa.trusted
    assert "signingCredential.untrusted" in report.c2pa.failures
    assert not report.ok  # a trust anchor was required and the signer does not chain to it


def test_tampered_pixels_make_the_manifest_invalid(pki: PKI, tmp_path: Path) -> None:
    out = _signed(pki, tmp_path)
    data = bytearray(out.read_bytes())
    scan = data.rfind(b"\xff\xda")  # start of the entropy-coded pixel data
    data[scan + 300] ^= 0x55
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(bytes(data))
    report = verify_image(tampered, VerifyOptions(trust_anchors=pki.root.read_bytes()))
    assert report.c2pa.present and report.c2pa.state == "Invalid" and not report.c2pa.valid
    assert "assertion.dataHash.mismatch" in report.c2pa.failures
    assert not report.c2pa.ai_generated and not report.ok


def test_stripped_metadata_leaves_the_watermark(pki: PKI, tmp_path: Path) -> None:
    stripped = strip_metadata(_signed(pki, tmp_path), tmp_path / "cdn.jpg")
    report = verify_image(stripped)
    assert not report.xmp.present and not report.c2pa.present
    assert report.watermark.detected and report.watermark.watermark_id == "abababababababab"
    assert report.ai_marked and report.ok


def test_manifest_shape() -> None:
    manifest = c2pa_marks.manifest(PROVENANCE, "x.jpg")
    by_label = {a["label"]: a["data"] for a in manifest["assertions"]}
    actions = by_label["c2pa.actions"]["actions"]
    assert [a["action"] for a in actions] == ["c2pa.created", "c2pa.watermarked"]
    assert actions[0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert actions[0]["softwareAgent"] == {"name": "stylegan3 r-1024"}
    # The soft binding carries the watermark id (8 bytes, base64): a stripped copy leads back here.
    [block] = by_label["c2pa.soft-binding"]["blocks"]
    assert base64.b64decode(block["value"]).hex() == PROVENANCE.watermark_id
    assert by_label["org.synthguard.disclosure"]["dataset"] == "catalog-images@3"


def test_relabelling_keeps_the_inputs_credentials_as_parent(pki: PKI, tmp_path: Path) -> None:
    first = _signed(pki, tmp_path)
    again = tmp_path / "again.jpg"
    result = label_image(first, again, LabelOptions(PROVENANCE, Credentials.load(pki.key, pki.chain)))
    assert any("parent ingredient" in note for note in result.notes)
    c = verify_image(again, VerifyOptions(trust_anchors=pki.root.read_bytes())).c2pa
    assert c.state == "Trusted" and c.parents == 1
    assert c.actions == ("c2pa.opened", "c2pa.watermarked") and c.ai_generated
    # Without a key the old manifest cannot be carried (re-encoding breaks it): said, not silent.
    unsigned = label_image(first, tmp_path / "unsigned.jpg", LabelOptions(PROVENANCE))
    assert any("not carried over" in note for note in unsigned.notes)
    assert not verify_image(tmp_path / "unsigned.jpg").c2pa.present


def test_key_must_match_the_certificate(tmp_path: Path) -> None:
    one, two = make_pki(tmp_path / "one"), make_pki(tmp_path / "two")
    with pytest.raises(InputError, match="not for this private key"):
        Credentials.load(one.key, two.chain)


def test_not_pem(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    pki = make_pki(tmp_path / "pki")
    with pytest.raises(InputError, match="not a PEM private key"):
        Credentials.load(junk, pki.chain)
    with pytest.raises(InputError, match="not a PEM certificate chain"):
        Credentials.load(pki.key, junk)
