"""Manifest recovery through the watermark (C2PA soft binding) and re-attachment, as a library: every CDN
transformation listed in the issue (JPEG q75, 50 % resize, both) recovers the manifest and re-attaches it;
tampered, foreign, missing and unwatermarked cases fail with the right state."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from imagekit import PKI, half, jpeg, make_pki, pixels, product_image, save
from numpy.typing import NDArray
from PIL import Image

from synthguard.disclosure.images import (
    ABSENT,
    EMBEDDED_VALID,
    INVALID,
    RECOVERED,
    TRAINED_ALGORITHMIC_MEDIA,
    Credentials,
    LabelOptions,
    ManifestRepository,
    Provenance,
    ReattachOptions,
    RecoverySources,
    VerifyOptions,
    label_image,
    reattach_image,
    verify_image,
)
from synthguard.disclosure.images.recovery import explain
from synthguard.errors import InputError, VerificationError

WID = "5eed5eed00c0ffee"
OTHER = "0badc0de0badc0de"

TRANSFORMS: dict[str, Callable[[NDArray[np.uint8]], NDArray[np.uint8]]] = {
    "q75": jpeg, "half": half, "half-then-q75": lambda a: jpeg(half(a)),
}


@dataclass(frozen=True)
class Setup:
    pki: PKI
    credentials: Credentials
    labelled: Path
    repository: Path
    other_store: bytes  # a genuine manifest store, but for another watermark id


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    tmp = tmp_path_factory.mktemp("recovery")
    pki = make_pki(tmp / "pki")
    credentials = Credentials.load(pki.key, pki.chain)
    repository = tmp / "repo"
    source = save(product_image(21), tmp / "gan.png")
    labelled = tmp / "labelled.jpg"
    result = label_image(source, labelled, LabelOptions(
        Provenance(dataset="catalog-images@2", generator="sdxl 1.0", watermark_id=WID), credentials,
        repository=repository))
    assert result.manifest_stored == str(repository / f"{WID}.c2pa")
    other = label_image(source, tmp / "other.jpg", LabelOptions(Provenance(watermark_id=OTHER), credentials))
    assert other.manifest_store is not None
    return Setup(pki, credentials, labelled, repository, other.manifest_store)


def _cdn(setup: Setup, tmp_path: Path, name: str = "q75") -> Path:
    """What an image CDN serves: re-encoded pixels, no metadata, no manifest."""
    out = tmp_path / f"cdn-{name}.jpg"
    Image.fromarray(TRANSFORMS[name](pixels(setup.labelled))).save(out, quality=90)
    return out


def _options(setup: Setup, *, manifest: bytes | None = None, repository: Path | None = None) -> VerifyOptions:
    sources = RecoverySources(manifest=manifest, repository=repository or setup.repository)
    return VerifyOptions(trust_anchors=setup.pki.root.read_bytes(), recovery=sources)


def test_repository_entry_is_the_exact_signed_store_and_private(setup: Setup) -> None:
    entry = setup.repository / f"{WID}.c2pa"
    assert entry.stat().st_mode & 0o777 == 0o600 and setup.repository.stat().st_mode & 0o777 == 0o700
    report = verify_image(setup.labelled, VerifyOptions(trust_anchors=setup.pki.root.read_bytes()))
    assert report.credentials == EMBEDDED_VALID and report.recovery is None
    # The stored store validates against the original file with nothing failing: it is the embedded one.
    again = verify_image(setup.labelled, _options(setup, manifest=entry.read_bytes()))
    assert again.credentials == EMBEDDED_VALID


@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_transformed_copy_recovers_and_reattaches(setup: Setup, tmp_path: Path, transform: str) -> None:
    cdn = _cdn(setup, tmp_path, transform)
    report = verify_image(cdn, _options(setup))
    assert not report.c2pa.present and not report.xmp.present
    assert report.credentials == RECOVERED and report.ok and report.recovered_ai_generated
    r = report.recovery
    assert r is not None and r.recovered and r.source == "repository" and r.watermark_id == WID
    assert r.soft_binding == "matched" and r.hard_binding == "mismatch" and r.audit is None
    m = r.manifest
    assert m.signer == "test storefront signer" and m.signer_trusted and m.signature_valid and not m.valid
    assert m.soft_bindings == (WID,) and m.digital_source_types == (TRAINED_ALGORITHMIC_MEDIA,)
    assert m.synthguard is not None and m.synthguard["dataset"] == "catalog-images@2"
    assert report.to_json()["recovery"]["manifest"]["ai_generated"] is True

    out = tmp_path / "restored.jpg"
    result = reattach_image(cdn, out, ReattachOptions(setup.credentials, _options(setup)))
    resized = transform != "q75"
    assert result.actions == ("c2pa.opened", *(("c2pa.resized",) if resized else ()), "c2pa.transcoded")
    assert result.watermark_id == WID and result.parent_signer == "test storefront signer"
    restored = verify_image(out, VerifyOptions(trust_anchors=setup.pki.root.read_bytes()))
    assert restored.credentials == EMBEDDED_VALID and restored.c2pa.state == "Trusted" and restored.ok
    assert restored.c2pa.parents == 1 and restored.c2pa.ai_generated and restored.c2pa.soft_bindings == (WID,)
    assert restored.xmp.ai_generated and restored.xmp.dataset == "catalog-images@2"
    assert restored.watermark.watermark_id == WID


@pytest.mark.parametrize("where", ["head", "middle", "signature"])
def test_flipped_byte_in_the_stored_manifest_does_not_verify(setup: Setup, tmp_path: Path, where: str) -> None:
    store = bytearray((setup.repository / f"{WID}.c2pa").read_bytes())
    position = {"head": 200, "middle": len(store) // 2, "signature": len(store) - 5}[where]
    store[position] ^= 0x01
    report = verify_image(_cdn(setup, tmp_path), _options(setup, manifest=bytes(store)))
    assert report.credentials == INVALID and not report.ok
    assert report.recovery is not None and not report.recovery.recovered


def test_manifest_for_another_id_does_not_verify(setup: Setup, tmp_path: Path) -> None:
    report = verify_image(_cdn(setup, tmp_path), _options(setup, manifest=setup.other_store))
    assert report.credentials == INVALID and not report.ok
    r = report.recovery
    assert r is not None and r.manifest.signature_valid  # a genuine signature, for another image
    assert r.soft_binding == "mismatched" and r.manifest.soft_bindings == (OTHER,)
    assert OTHER in explain(r, WID) and WID in explain(r, WID)


def test_foreign_store_copied_into_the_repository_under_our_id(setup: Setup, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    ManifestRepository(repository).put(WID, setup.other_store)
    report = verify_image(_cdn(setup, tmp_path), _options(setup, repository=repository))
    assert report.credentials == INVALID and report.recovery is not None
    assert report.recovery.soft_binding == "mismatched"


def test_missing_repository_entry_is_absent(setup: Setup, tmp_path: Path) -> None:
    cdn = _cdn(setup, tmp_path)
    report = verify_image(cdn, _options(setup, repository=tmp_path / "empty"))
    assert report.credentials == ABSENT and report.recovery is None
    assert report.ok  # the watermark still marks it, as before recovery existed
    assert "no stored manifest for watermark id " + WID in explain(None, WID)
    strict = VerifyOptions(recovery=RecoverySources(repository=tmp_path / "empty"), require_credentials=True)
    assert not verify_image(cdn, strict).ok  # without a manifest, the watermark alone is not enough
    with pytest.raises(VerificationError, match="no stored manifest"):
        reattach_image(cdn, tmp_path / "never.jpg", ReattachOptions(setup.credentials, strict))
    assert not (tmp_path / "never.jpg").exists()


def test_image_without_watermark_is_absent(setup: Setup, tmp_path: Path) -> None:
    plain = save(product_image(3), tmp_path / "plain.jpg")
    report = verify_image(plain, _options(setup))
    assert report.credentials == ABSENT and not report.watermark.detected and not report.ok
    assert explain(None, None).startswith("no watermark found")


def test_untrusted_signer_is_not_recovered(setup: Setup, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other", name="other")
    report = verify_image(_cdn(setup, tmp_path), VerifyOptions(
        trust_anchors=other.root.read_bytes(), recovery=RecoverySources(repository=setup.repository)))
    assert report.credentials == INVALID and report.recovery is not None
    assert report.recovery.manifest.signature_valid and not report.recovery.manifest.signer_trusted


def test_sidecar_next_to_the_copy_is_found(setup: Setup, tmp_path: Path) -> None:
    cdn = _cdn(setup, tmp_path)
    shutil.copy(setup.repository / f"{WID}.c2pa", cdn.with_suffix(".c2pa"))
    report = verify_image(cdn, VerifyOptions(trust_anchors=setup.pki.root.read_bytes()))
    assert report.credentials == RECOVERED and report.recovery is not None
    assert report.recovery.source == "sidecar"


def test_reattach_refuses_a_file_with_valid_credentials(setup: Setup, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="already carries valid Content Credentials"):
        reattach_image(setup.labelled, tmp_path / "x.jpg", ReattachOptions(setup.credentials, _options(setup)))


def test_repository_refuses_ids_that_are_not_ids(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="16 lower-case hex digits"):
        ManifestRepository(tmp_path).path_for("../../etc/passwd")
