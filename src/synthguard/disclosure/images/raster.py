"""Reading and writing image files safely: size guard before decoding, clear errors, JPEG / PNG out.

Pillow does the decoding and encoding. The guard reads only the header, so a file that claims
100,000 × 100,000 pixels is refused before any memory is spent on it; truncated and non-image files
become one-line ``InputError``s naming the file.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile, UnidentifiedImageError

from ...errors import InputError

DEFAULT_MAX_PIXELS = 50_000_000  # ≈ 8,000 × 6,000: far above any storefront image, far below memory limits
OUTPUT_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
MIME = {"JPEG": "image/jpeg", "PNG": "image/png"}
# Modes the watermark works on directly; everything else is converted to the nearest of these.
_WORKING_MODES = ("L", "LA", "RGB", "RGBA")


@dataclass(frozen=True)
class Raster:
    """A decoded image: pixels (H × W × C, uint8), its mode, source format and the metadata to keep."""

    pixels: NDArray[np.uint8]
    mode: str
    format: str
    icc_profile: bytes | None
    exif: bytes | None
    xmp: bytes | None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def output_format(path: Path) -> str:
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError("cannot tell the output format from the name (use .jpg, .jpeg or .png)", path=str(path))
    return fmt


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc


def load(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Raster:
    """Decode ``path``; refuse non-images, truncated files and images over ``max_pixels``."""
    return decode(read_file(path), str(path), max_pixels)


def decode(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Raster:
    """Decode image bytes (``name`` is for messages); the same refusals as ``load``."""
    # Truncated files must fail loudly, whatever another part of the process set.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            # Our own limit below is the one that speaks; Pillow's hard limit still stops real bombs.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise InputError(f"image is {width} × {height} pixels, over the limit of {max_pixels:,} pixels",
                                 path=name, field="dimensions")
            image.load()
    except InputError:
        raise
    except UnidentifiedImageError as exc:
        raise InputError("not an image (or a format Pillow cannot read)", path=name) from exc
    except Image.DecompressionBombError as exc:
        # Pillow's own decompression-bomb limit (≈179 Mpx) fires in Image.open, before ours can.
        raise InputError(f"image is over the limit of {max_pixels:,} pixels ({exc})", path=name,
                         field="dimensions") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated or corrupt data as OSError ("image file is truncated") or SyntaxError.
        raise InputError(f"damaged image data: {exc}", path=name) from exc
    fmt = image.format or "unknown"
    info = image.info
    xmp = info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    exif = info.get("exif")
    working = _working(image)
    return Raster(pixels=np.asarray(working, dtype=np.uint8).reshape(working.height, working.width, -1),
                  mode=working.mode, format=fmt, icc_profile=info.get("icc_profile") or None,
                  exif=exif if isinstance(exif, bytes) and exif else None,
                  xmp=xmp if isinstance(xmp, bytes) and xmp else None)


def _working(image: Image.Image) -> Image.Image:
    if image.mode in _WORKING_MODES:
        return image
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greyscale lose precision here; storefront images are 8-bit.
        return image.convert("L")
    return image.convert("RGB")


def encode(raster: Raster, fmt: str, *, xmp: bytes | None, quality: int = 95) -> bytes:
    """Encode pixels as ``fmt`` (JPEG / PNG), keeping the ICC profile and EXIF, with ``xmp`` as the packet."""
    pixels = raster.pixels[..., 0] if raster.pixels.shape[2] == 1 else raster.pixels
    image = Image.fromarray(pixels)
    out = io.BytesIO()
    keep: dict[str, object] = {}
    if raster.icc_profile:
        keep["icc_profile"] = raster.icc_profile
    if raster.exif:
        keep["exif"] = raster.exif
    if fmt == "JPEG":
        if image.mode in ("RGBA", "LA"):
            raise InputError("JPEG has no transparency: write this image as .png", field="out")
        if xmp is not None and len(xmp) > 65_000:
            raise InputError("XMP packet too large for one JPEG segment", field="xmp")
        image.save(out, "JPEG", quality=quality, subsampling="4:2:0", optimize=True,
                   **({"xmp": xmp} if xmp is not None else {}), **keep)
    elif fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        pnginfo = PngInfo()
        if xmp is not None:
            # XMP in PNG: an uncompressed iTXt chunk with this keyword (XMP spec part 3).
            pnginfo.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=False)
        image.save(out, "PNG", pnginfo=pnginfo, optimize=False, **keep)
    else:
        raise InputError(f"cannot write {fmt} images (use .jpg or .png)", field="out")
    return out.getvalue()


def with_pixels(raster: Raster, pixels: NDArray[np.uint8]) -> Raster:
    return Raster(pixels=pixels, mode=raster.mode, format=raster.format, icc_profile=raster.icc_profile,
                  exif=raster.exif, xmp=raster.xmp)
