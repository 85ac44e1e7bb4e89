"""Test images and a test PKI for the image-labelling tests: made here, never downloaded.

Images are 512 × 512 product-style pictures (gradients + noise + shapes); the PKI is a root CA →
intermediate CA → signing certificate chain that c2pa-rs accepts (leaf: not a CA, digitalSignature,
emailProtection EKU, authority / subject key identifiers).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from numpy.typing import NDArray
from PIL import Image, ImageDraw


def product_image(seed: int = 0, size: tuple[int, int] = (512, 512)) -> Image.Image:
    width, height = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    x, y = x / width, y / height
    base = np.stack([255 * x, 255 * y, 255 * (1 - x) * y + 60], axis=-1) + rng.normal(0, 12, (height, width, 3))
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width - 60)), int(rng.integers(0, height - 60))
        w, h = (int(v) for v in rng.integers(20, 160, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0, y0, x0 + w, y0 + h], fill=colour)
    return image


def save(image: Image.Image, path: Path, **kwargs: object) -> Path:
    image.save(path, **kwargs)
    return path


def pixels(path: Path) -> NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def jpeg(array: NDArray[np.uint8], quality: int = 75) -> NDArray[np.uint8]:
    """Re-encode as a plain JPEG (no metadata), as a CDN does."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def half(array: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A 50 % resize (Lanczos, as image CDNs use)."""
    height, width = array.shape[:2]
    return np.asarray(Image.fromarray(array).resize((width // 2, height // 2), Image.Resampling.LANCZOS))


def strip_metadata(src: Path, dst: Path, quality: int = 90) -> Path:
    """Re-save pixels only: no XMP, no EXIF, no C2PA."""
    with Image.open(src) as image:
        Image.fromarray(np.asarray(image.convert("RGB"))).save(dst, quality=quality)
    return dst


@dataclass(frozen=True)
class PKI:
    root: Path  # trust anchor (PEM)
    chain: Path  # signing certificate, then the intermediate
    key: Path  # signing key (PEM, PKCS#8)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SynthGuard Test CA")])


def _certificate(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool,
                 path_length: int | None = None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(public).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                   encipher_only=False, decipher_only=False), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    # Ed25519 signs without a separate hash algorithm.
    return builder.sign(issuer_key, None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256())


def make_pki(directory: Path, *, algorithm: str = "es256", name: str = "test") -> PKI:
    """A fresh root → intermediate → signer chain in ``directory``; ``algorithm`` es256 or ed25519."""
    directory.mkdir(parents=True, exist_ok=True)

    def new_key() -> Any:
        if algorithm == "ed25519":
            return ed25519.Ed25519PrivateKey.generate()
        return ec.generate_private_key(ec.SECP256R1())

    root_key, inter_key, leaf_key = new_key(), new_key(), new_key()
    root = _certificate(f"{name} root", root_key, f"{name} root", root_key, ca=True, path_length=1)
    inter = _certificate(f"{name} intermediate", inter_key, f"{name} root", root_key, ca=True, path_length=0)
    leaf = _certificate(f"{name} storefront signer", leaf_key, f"{name} intermediate", inter_key, ca=False)

    def pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    pki = PKI(root=directory / "root.pem", chain=directory / "chain.pem", key=directory / "signer.key")
    pki.root.write_bytes(pem(root))
    pki.chain.write_bytes(pem(leaf) + pem(inter))
    pki.key.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return pki
