"""Benchmark of the image watermark: bit accuracy after JPEG quality 75, a 50 % resize and both, with a peer.

What it measures, in one run on this machine:

* **the images** (deterministic, seeded, generated here): ``--images`` (20) 512 × 512 product-style
  pictures (RGB gradients + Gaussian noise σ = 12 + twelve random ellipses / rectangles) and as many
  640 × 480 catalogue shots (a flat-coloured product on a pure white background, where clipping at 255
  makes marking hardest);
* **SynthGuard** (``synthguard.disclosure.images.watermark``, default options, a different 64-bit id per
  image): PSNR of the marked image, embed and detect time, then for each attack the mean and minimum raw
  bit accuracy over the 144 code bits (before Reed–Solomon correction) and the share of images whose id
  decodes exactly; attacks are Pillow re-encodings with no metadata, as a CDN does: JPEG q75, Lanczos
  resize to 50 %, both orders, and the harsher JPEG q50, resize to 33 % and 50 % + q50; plus the false
  detection rate on the unmarked images (same attacks);
* **peer**: invisible-watermark 0.2.0 (``imwatermark``; DWT-DCT ``dwtDct`` and ``dwtDctSvd``, 64-bit
  payload, OpenCV JPEG encoder) when it is importable. It is not a project dependency: it requires torch
  and opencv-python. Installed with ``pip install --no-deps invisible-watermark opencv-python-headless
  pywavelets``, it runs here with a stand-in ``torch`` module, which only its rivaGan method would use.
  It has no error correction, so its figure is raw bit accuracy and exact 64-bit matches.

* **C2PA recovery** (``--recovery``): each product picture labelled with a signed manifest (a throwaway
  test CA from ``tests/disclosure/images/imagekit.py``) kept in a manifest repository; after each attack
  (no metadata left), the share of copies whose manifest ``verify`` recovers through the watermark
  (``recovered-via-watermark``: signature and soft binding valid) and whose re-attached copy verifies as
  ``embedded-valid``, with the median verify and re-attach times.

Run: ``python benchmarks/image_watermark.py [--images 20] [--recovery]``.
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from synthguard.disclosure.images import payload, watermark

Pixels = NDArray[np.uint8]


def product(seed: int) -> Pixels:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:512, 0:512] / 512
    base = np.stack([255 * x, 255 * y, 255 * (1 - x) * y + 60], axis=-1) + rng.normal(0, 12, (512, 512, 3))
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = (int(v) for v in rng.integers(0, 452, 2))
        w, h = (int(v) for v in rng.integers(20, 160, 2))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0, y0, x0 + w, y0 + h], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return np.asarray(image)


def white_background(seed: int) -> Pixels:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (640, 480), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse([200, 120, 440, 380], fill=tuple(int(c) for c in rng.integers(0, 200, 3)))
    draw.rectangle([280, 60, 360, 140], fill=tuple(int(c) for c in rng.integers(0, 200, 3)))
    return np.asarray(image)


def jpeg(a: Pixels, quality: int = 75) -> Pixels:
    buffer = io.BytesIO()
    Image.fromarray(a).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def scale(a: Pixels, factor: float) -> Pixels:
    h, w = a.shape[:2]
    return np.asarray(Image.fromarray(a).resize((round(w * factor), round(h * factor)), Image.Resampling.LANCZOS))


ATTACKS: dict[str, Callable[[Pixels], Pixels]] = {
    "none": lambda a: a,
    "jpeg q75": jpeg,
    "resize 50%": lambda a: scale(a, 0.5),
    "resize 50% then q75": lambda a: jpeg(scale(a, 0.5)),
    "q75 then resize 50%": lambda a: scale(jpeg(a), 0.5),
    "jpeg q50": lambda a: jpeg(a, 50),
    "resize 33%": lambda a: scale(a, 1 / 3),
    "resize 50% then q50": lambda a: jpeg(scale(a, 0.5), 50),
}


def synthguard_run(images: list[Pixels]) -> None:
    rows: dict[str, list[tuple[float, bool]]] = {k: [] for k in ATTACKS}
    false_hits = checks = 0
    psnr, embed_s, detect_s = [], [], []
    for n, image in enumerate(images):
        wid = f"{(0x9E3779B97F4A7C15 * (n + 1)) % 2**64:016x}"
        t = time.perf_counter()
        marked = watermark.embed(image, wid)
        embed_s.append(time.perf_counter() - t)
        psnr.append(watermark.psnr(image, marked))
        truth = payload.encode(wid)
        for name, attack in ATTACKS.items():
            attacked = attack(marked)
            t = time.perf_counter()
            report = watermark.detect(attacked)
            detect_s.append(time.perf_counter() - t)
            raw = watermark.read_bits(attacked)
            rows[name].append((float(np.mean(raw == truth)), report.watermark_id == wid))
            checks += 1
            false_hits += watermark.detect(attack(image)).detected
    print(f"  PSNR {np.mean(psnr):.1f} dB (min {np.min(psnr):.1f}); embed {1000 * np.median(embed_s):.0f} ms, "
          f"detect {1000 * np.median(detect_s):.0f} ms per image (median)")
    for name, values in rows.items():
        acc = np.array([v[0] for v in values])
        exact = np.mean([v[1] for v in values])
        print(f"  {name:22s} bit accuracy mean {acc.mean():.4f}  min {acc.min():.4f}   exact id {100 * exact:5.1f} %")
    print(f"  false detections on unmarked images: {false_hits} / {checks}")


def peer_run(images: list[Pixels]) -> None:
    try:
        sys.modules.setdefault("torch", types.ModuleType("torch"))  # only rivaGan uses it; we do not
        import cv2
        from imwatermark import WatermarkDecoder, WatermarkEncoder
    except ImportError as exc:
        print(f"  invisible-watermark not importable ({exc}); see the module docstring to install it")
        return

    def cv_jpeg(a: Pixels, quality: int = 75) -> Pixels:
        _ok, buffer = cv2.imencode(".jpg", a, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return np.asarray(cv2.imdecode(buffer, cv2.IMREAD_COLOR))

    for method in ("dwtDct", "dwtDctSvd"):
        rows: dict[str, list[tuple[float, bool]]] = {k: [] for k in list(ATTACKS)[:5]}
        for n, image in enumerate(images):
            bits = np.random.default_rng(n).integers(0, 2, 64)
            encoder = WatermarkEncoder()
            encoder.set_watermark("bits", list(bits))
            marked = encoder.encode(np.ascontiguousarray(image[..., ::-1]), method)  # BGR
            decoder = WatermarkDecoder("bits", 64)
            attacks = {"none": marked, "jpeg q75": cv_jpeg(marked), "resize 50%": scale(marked, 0.5),
                       "resize 50% then q75": cv_jpeg(scale(marked, 0.5)),
                       "q75 then resize 50%": scale(cv_jpeg(marked), 0.5)}
            for name, attacked in attacks.items():
                got = np.array(decoder.decode(np.ascontiguousarray(attacked), method))
                rows[name].append((float(np.mean(got == bits)), bool(np.array_equal(got, bits))))
        print(f"  invisible-watermark {method}:")
        for name, values in rows.items():
            acc = np.array([v[0] for v in values])
            exact = np.mean([v[1] for v in values])
            print(f"    {name:20s} bit accuracy mean {acc.mean():.4f}  min {acc.min():.4f}   "
                  f"exact 64 bits {100 * exact:5.1f} %")


def recovery_run(images: list[Pixels]) -> None:
    # The test CA lives with the tests; reusing it keeps one copy of the certificate rules.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "disclosure" / "images"))
    from imagekit import make_pki

    from synthguard.disclosure import images as lib

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pki = make_pki(tmp / "pki")
        credentials = lib.Credentials.load(pki.key, pki.chain)
        options = lib.VerifyOptions(trust_anchors=pki.root.read_bytes(),
                                    recovery=lib.RecoverySources(repository=tmp / "repo"))
        rows: dict[str, list[tuple[bool, bool]]] = {k: [] for k in ATTACKS if k != "none"}
        verify_s, reattach_s = [], []
        for n, image in enumerate(images):
            source = tmp / f"src{n}.png"
            Image.fromarray(image).save(source)
            labelled = tmp / f"labelled{n}.jpg"
            wid = f"{(0x9E3779B97F4A7C15 * (n + 1)) % 2**64:016x}"
            lib.label_image(source, labelled, lib.LabelOptions(lib.Provenance(watermark_id=wid), credentials,
                                                               repository=tmp / "repo"))
            marked = np.asarray(Image.open(labelled).convert("RGB"))
            for name in rows:
                copy = tmp / f"cdn{n}.png"  # lossless: the attack is the only change
                Image.fromarray(ATTACKS[name](marked)).save(copy)
                t = time.perf_counter()
                report = lib.verify_image(copy, options)
                verify_s.append(time.perf_counter() - t)
                restored = False
                if report.credentials == lib.RECOVERED:
                    t = time.perf_counter()
                    lib.reattach_image(copy, tmp / "restored.jpg", lib.ReattachOptions(credentials, options))
                    reattach_s.append(time.perf_counter() - t)
                    again = lib.verify_image(tmp / "restored.jpg", options)
                    restored = again.credentials == lib.EMBEDDED_VALID
                rows[name].append((report.credentials == lib.RECOVERED, restored))
    print(f"  verify {1000 * np.median(verify_s):.0f} ms, re-attach {1000 * np.median(reattach_s):.0f} ms "
          f"per image (median)")
    for name, values in rows.items():
        print(f"  {name:22s} recovered-via-watermark {100 * np.mean([v[0] for v in values]):5.1f} %   "
              f"re-attached embedded-valid {100 * np.mean([v[1] for v in values]):5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--recovery", action="store_true", help="also measure C2PA manifest recovery")
    args = parser.parse_args()
    print(f"# image watermark — {platform.node()} {platform.processor() or platform.machine()}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, python benchmarks/image_watermark.py --images {args.images}")
    products = [product(seed) for seed in range(args.images)]
    shots = [white_background(seed) for seed in range(args.images)]
    for title, images in (("512×512 product pictures", products), ("640×480 white-background shots", shots)):
        print(f"\nSynthGuard, {title}:")
        synthguard_run(images)
        print(f"peer, {title}:")
        peer_run(images)
    if args.recovery:
        print("\nC2PA manifest recovery through the watermark, 512×512 product pictures:")
        recovery_run(products)


if __name__ == "__main__":
    main()
