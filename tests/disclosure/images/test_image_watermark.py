"""The invisible watermark: payload coding, and an id that survives JPEG q75, a 50 % resize and both."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagekit import half, jpeg, product_image

from synthguard.disclosure.images import payload, watermark
from synthguard.errors import InputError

ids = st.text("0123456789abcdef", min_size=16, max_size=16)


@settings(max_examples=200, deadline=None)
@given(watermark_id=ids, damaged=st.sets(st.integers(0, payload.CODE_BITS // 8 - 1), max_size=5),
       flips=st.integers(1, 255))
def test_payload_corrects_five_damaged_bytes(watermark_id: str, damaged: set[int], flips: int) -> None:
    bits = payload.encode(watermark_id)
    assert bits.size == payload.CODE_BITS
    received = np.packbits(bits)
    for index in damaged:
        received[index] ^= flips
    decoded = payload.decode(np.unpackbits(received))
    assert decoded is not None and decoded[0] == watermark_id
    assert np.array_equal(decoded[1], bits)


@pytest.mark.parametrize(("given_id", "normal"), [("1", "0000000000000001"), ("0xDEADBEEF", "00000000deadbeef"),
                                                  ("ffffffffffffffff", "ffffffffffffffff")])
def test_ids_are_normalised(given_id: str, normal: str) -> None:
    assert payload.parse_id(given_id) == normal


@pytest.mark.parametrize("bad", ["", "xyz", "1" * 17, "12 34"])
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="hexadecimal"):
        payload.parse_id(bad)


ATTACKS = {
    "none": lambda a: a,
    "jpeg q75": jpeg,
    "resize 50%": half,
    "resize 50% + jpeg q75": lambda a: jpeg(half(a)),
    "jpeg q75 + resize 50%": lambda a: half(jpeg(a)),
}


@pytest.fixture(scope="module")
def marked() -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    for seed in range(3):
        original = np.asarray(product_image(seed))
        watermark_id = f"{0x5EED0000 + seed:016x}"
        out.append((watermark_id, original, watermark.embed(original, watermark_id)))
    return out


def test_mark_is_invisible(marked: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    for _, original, image in marked:
        assert watermark.psnr(original, image) > 40  # dB; JPEG q90 itself is ≈ 40 on these images


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_id_survives(marked: list[tuple[str, np.ndarray, np.ndarray]], attack: str) -> None:
    for watermark_id, _, image in marked:
        report = watermark.detect(ATTACKS[attack](image))
        assert report.detected and report.watermark_id == watermark_id, attack
        assert report.bit_accuracy is not None and report.bit_accuracy >= 0.9, (attack, report)


def test_unmarked_images_are_not_reported() -> None:
    for seed in range(10, 16):
        image = np.asarray(product_image(seed))
        for attacked in (image, jpeg(image), half(image)):
            assert not watermark.detect(attacked).detected


def test_another_key_reads_nothing(marked: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    other = watermark.WatermarkOptions(key="someone-else")
    assert not any(watermark.detect(image, other).detected for _, _, image in marked)


@settings(max_examples=8, deadline=None)
@given(watermark_id=ids, seed=st.integers(0, 1000), width=st.integers(200, 700), height=st.integers(200, 700))
def test_round_trip_any_id_any_shape(watermark_id: str, seed: int, width: int, height: int) -> None:
    image = np.asarray(product_image(seed, (width, height)))
    report = watermark.detect(jpeg(watermark.embed(image, watermark_id)))
    assert report.detected and report.watermark_id == watermark_id


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_greyscale_and_alpha(mode: str) -> None:
    image = np.asarray(product_image(4).convert(mode))
    image = image[..., None] if image.ndim == 2 else image
    marked_image = watermark.embed(image, "00000000000000aa")
    if mode == "RGBA":
        assert np.array_equal(marked_image[..., 3], image[..., 3])  # alpha untouched
    assert watermark.detect(marked_image).watermark_id == "00000000000000aa"


def test_too_small_to_mark() -> None:
    with pytest.raises(InputError, match="at least 128 px"):
        watermark.embed(np.zeros((100, 400, 3), np.uint8), "1")


def test_geometry_it_does_not_claim(marked: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    from PIL import Image

    watermark_id, _, image = marked[0]
    # Any resize lines up again, even one that changes the aspect ratio...
    squashed = np.asarray(Image.fromarray(image).resize((512, 300), Image.Resampling.LANCZOS))
    assert watermark.detect(squashed).watermark_id == watermark_id
    # ...crops and flips do not, and then nothing (rather than a wrong id) is reported.
    for attacked in (image[25:-25, 25:-25], image[:, ::-1]):
        assert not watermark.detect(np.ascontiguousarray(attacked)).detected


def test_white_backgrounds_stay_clean() -> None:
    from PIL import Image, ImageDraw

    shot = Image.new("RGB", (640, 480), (255, 255, 255))
    ImageDraw.Draw(shot).ellipse([200, 120, 440, 380], fill=(40, 90, 160))
    original = np.asarray(shot)
    marked_image = watermark.embed(original, "00000000000000aa")
    change = np.abs(marked_image.astype(int) - original).max(axis=2)
    background = (original == 255).all(axis=2)
    background[100:400, 180:460] = False  # keep clear of the product's edges
    # The mask keeps grey specks off the white: the mark lives in the product, and still reads back.
    assert change[background].mean() < 0.25 * change[~background].mean()
    assert watermark.detect(jpeg(half(marked_image))).watermark_id == "00000000000000aa"
