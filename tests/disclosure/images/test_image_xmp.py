"""IPTC / XMP digital source type: packet round trips, merging with existing packets, JPEG and PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagekit import product_image, save
from PIL import Image

from synthguard.disclosure.imagemeta import digital_source_type
from synthguard.disclosure.images import (
    TRAINED_ALGORITHMIC_MEDIA,
    LabelOptions,
    Provenance,
    label_image,
    verify_image,
)
from synthguard.disclosure.images import xmp as xmp_packet

# Anything a person may type (XML's special characters, controls, emoji): what XML cannot hold is dropped.
text = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(dataset=st.none() | text, generator=st.none() | text,
       watermark_id=st.none() | st.text("0123456789abcdef", min_size=16, max_size=16))
def test_packet_round_trip(dataset: str | None, generator: str | None, watermark_id: str | None) -> None:
    provenance = Provenance(dataset=dataset, generator=generator, watermark_id=watermark_id)
    report = xmp_packet.read(xmp_packet.packet(provenance))
    assert report.present and report.ai_generated
    assert report.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    expected = tuple(xmp_packet.clean(v) or None for v in (dataset, generator, watermark_id))
    assert (report.dataset, report.generator, report.watermark_id) == expected


FOREIGN = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
 <dc:creator><rdf:Seq><rdf:li>Studio Nord</rdf:li></rdf:Seq></dc:creator>
 <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture</Iptc4xmpExt:DigitalSourceType>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def test_existing_packet_is_kept_and_its_source_type_replaced() -> None:
    before = xmp_packet.read(FOREIGN)
    assert before.digital_source_type.endswith("digitalCapture") and not before.ai_generated
    merged = xmp_packet.packet(Provenance(dataset="banners@2"), FOREIGN)
    assert b"Studio Nord" in merged  # someone else's property survives
    after = xmp_packet.read(merged)
    assert after.digital_source_type == TRAINED_ALGORITHMIC_MEDIA and after.dataset == "banners@2"
    assert merged.count(b"DigitalSourceType") == 1  # one answer, not two


def test_broken_packet_is_replaced_not_fatal() -> None:
    assert xmp_packet.read(xmp_packet.packet(Provenance(), b"<x:xmpmeta><unclosed")).ai_generated


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_label_writes_xmp_that_readers_find(tmp_path: Path, suffix: str) -> None:
    source = save(product_image(1), tmp_path / "gan.png")
    out = tmp_path / f"labelled{suffix}"
    provenance = Provenance(dataset="catalog-images@3", generator="stylegan3 r-1024", watermark_id="00000000cafef00d")
    result = label_image(source, out, LabelOptions(provenance=provenance, watermark=False))
    assert result.xmp and not result.c2pa_signed and result.c2pa_skipped_reason
    report = verify_image(out)
    assert report.xmp.ai_generated and report.ai_marked and report.ok
    assert report.xmp.dataset == "catalog-images@3" and report.xmp.generator == "stylegan3 r-1024"
    assert report.xmp.watermark_id is None  # --no-watermark: the packet does not claim a mark
    # The XMP sits where other tools look: JPEG APP1 / PNG iTXt, found by Pillow and by the page scanner.
    with Image.open(out) as image:
        raw = image.info["xmp"]
        assert b"trainedAlgorithmicMedia" in (raw if isinstance(raw, bytes) else raw.encode())
    assert digital_source_type(out) == "trainedAlgorithmicMedia"


def test_input_xmp_survives_labelling(tmp_path: Path) -> None:
    source = save(product_image(2), tmp_path / "in.jpg", quality=95, xmp=FOREIGN)
    out = tmp_path / "out.jpg"
    label_image(source, out, LabelOptions(watermark=False))
    with Image.open(out) as image:
        assert b"Studio Nord" in image.info["xmp"]
    assert verify_image(out).xmp.ai_generated


def test_unlabelled_image_has_no_marks(tmp_path: Path) -> None:
    report = verify_image(save(product_image(3), tmp_path / "plain.jpg", quality=90))
    assert not report.xmp.present and not report.c2pa.present and not report.watermark.detected
    assert not report.ai_marked and not report.ok
