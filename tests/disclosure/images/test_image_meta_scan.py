"""``imagemeta.is_ai_generated`` (what the page scanner asks of local images): XMP, an embedded C2PA
manifest's actions, and, when asked, the watermark; images are generated here, not fixtures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from imagekit import make_pki, product_image, save, strip_metadata

from synthguard.disclosure import imagemeta
from synthguard.disclosure.images import Credentials, LabelOptions, Provenance, label_image
from synthguard.disclosure.images import c2pa as c2pa_marks

CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    return Credentials.load(pki.key, pki.chain)


def _c2pa_only(path: Path, credentials: Credentials, source_type: str) -> Path:
    """A JPEG whose only mark is a C2PA manifest (no XMP packet, no watermark)."""
    buffer = io.BytesIO()
    product_image(4).save(buffer, "JPEG", quality=90)
    signed, _store = c2pa_marks.sign(buffer.getvalue(), "image/jpeg", Provenance(source_type=source_type),
                                     credentials, path.name)
    path.write_bytes(signed)
    return path


def test_c2pa_manifest_with_ai_source_type(credentials: Credentials, tmp_path: Path) -> None:
    ai = _c2pa_only(tmp_path / "ai.jpg", credentials, "http://cv.iptc.org/newscodes/digitalsourcetype/"
                                                      "trainedAlgorithmicMedia")
    assert imagemeta.digital_source_type(ai) is None  # no XMP: only the manifest says it
    assert imagemeta.c2pa_source_types(ai) == ("trainedAlgorithmicMedia",)
    assert imagemeta.is_ai_generated(ai)
    photo = _c2pa_only(tmp_path / "photo.jpg", credentials, CAPTURE)
    assert imagemeta.c2pa_source_types(photo) == ("digitalCapture",) and not imagemeta.is_ai_generated(photo)


def test_watermark_only_behind_the_option(credentials: Credentials, tmp_path: Path) -> None:
    labelled = tmp_path / "l.jpg"
    label_image(save(product_image(5), tmp_path / "g.png"), labelled,
                LabelOptions(Provenance(watermark_id="0000000000001234"), credentials))
    stripped = strip_metadata(labelled, tmp_path / "stripped.jpg")
    assert imagemeta.c2pa_source_types(stripped) == () and imagemeta.digital_source_type(stripped) is None
    assert not imagemeta.is_ai_generated(stripped)
    assert imagemeta.is_ai_generated(stripped, watermark=True)
    assert imagemeta.watermark_id(stripped) == "0000000000001234"


def test_plain_broken_and_missing_files(tmp_path: Path) -> None:
    plain = save(product_image(6), tmp_path / "plain.png")
    assert not imagemeta.is_ai_generated(plain, watermark=True)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8jumdc2pa not really a manifest")
    assert imagemeta.c2pa_source_types(broken) == () and not imagemeta.is_ai_generated(broken, watermark=True)
    assert not imagemeta.is_ai_generated(tmp_path / "missing.jpg", watermark=True)


def test_cache_follows_the_file_version(credentials: Credentials, tmp_path: Path) -> None:
    path = save(product_image(7), tmp_path / "x.jpg")
    assert not imagemeta.is_ai_generated(path)
    _c2pa_only(path, credentials, "trainedAlgorithmicMedia")  # rewritten: new size / mtime
    assert imagemeta.is_ai_generated(path)
