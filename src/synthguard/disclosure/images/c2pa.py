"""C2PA Content Credentials: sign a manifest saying "made by a trained model", and read one back.

Uses c2pa-python (the Content Authenticity Initiative's bindings to the c2pa-rs reference library)
for the manifest, JUMBF embedding, COSE signature and validation. The manifest carries:

- ``c2pa.actions``: ``c2pa.created`` with the IPTC digital source type ``trainedAlgorithmicMedia`` and
  the generator as software agent (or, when the input had valid Content Credentials of its own,
  ``c2pa.opened`` of that input as the parent ingredient), then ``c2pa.watermarked``;
- ``c2pa.soft-binding``: the watermark id, algorithm ``org.synthguard.watermark.v1`` (ours, reverse-DNS;
  not on the C2PA list of registered soft-binding algorithms), which links a copy stripped of this
  manifest back to it (``recovery``);
- ``org.synthguard.disclosure``: dataset@version, its digest, generator, watermark id and the pixel size
  signed (so a later re-attachment can say whether the copy was resized).

``sign`` returns the manifest store too (the exact JUMBF bytes c2pa-rs signed), to be kept in a
manifest repository; ``read`` takes such a store for an asset that does not carry it.

Signing needs an X.509 chain whose leaf c2pa-rs accepts: not a CA, key usage digitalSignature,
an extended key usage such as emailProtection or documentSigning, issued by an intermediate (a
self-signed leaf is refused). Key types: EC P-256/384/521 (ES256/384/512), Ed25519, RSA (PS256).
"""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import c2pa as c2pa_lib
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from ...errors import InputError
from .interface import C2paReport, Provenance

ASSERTION = "org.synthguard.disclosure"
SOFT_BINDING_ALG = "org.synthguard.watermark.v1"
_PARENT = "parent"
_CURVES = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


@dataclass(frozen=True)
class Credentials:
    """A signing key and its certificate chain (leaf first, then intermediates; not the root)."""

    key_pem: bytes
    chain_pem: bytes
    algorithm: str
    subject: str

    @classmethod
    def load(cls, key_path: Path, chain_path: Path) -> Credentials:
        key_pem = _read(key_path)
        chain_pem = _read(chain_path)
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except TypeError as exc:
            raise InputError("encrypted private keys are not supported; give an unencrypted PEM key",
                             path=str(key_path)) from exc
        except ValueError as exc:
            raise InputError("not a PEM private key", path=str(key_path)) from exc
        try:
            chain = x509.load_pem_x509_certificates(chain_pem)
        except ValueError as exc:
            raise InputError("not a PEM certificate chain", path=str(chain_path)) from exc
        leaf = chain[0]
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        if leaf.public_key().public_bytes(serialization.Encoding.DER, spki) != key.public_key().public_bytes(
                serialization.Encoding.DER, spki):
            raise InputError("the first certificate is not for this private key (put the signing "
                             "certificate first)", path=str(chain_path))
        if leaf.not_valid_after_utc < datetime.now(UTC):
            raise InputError(f"the signing certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}",
                             path=str(chain_path))
        return cls(key_pem=key_pem, chain_pem=chain_pem, algorithm=_algorithm(key, key_path),
                   subject=_common_name(leaf.subject) or leaf.subject.rfc4514_string())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc


def _algorithm(key: object, path: Path) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        return _CURVES[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise InputError("unsupported key type for C2PA (use EC P-256/384/521, Ed25519 or RSA)", path=str(path))


def _common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def claim_generator() -> dict[str, str]:
    from ... import __version__

    return {"name": "synthguard", "version": __version__}


def soft_binding(watermark_id: str) -> dict[str, Any]:
    """The ``c2pa.soft-binding`` assertion naming the watermark id carried in the pixels."""
    return {"label": "c2pa.soft-binding", "data": {"alg": SOFT_BINDING_ALG, "blocks": [
        {"scope": {}, "value": base64.b64encode(bytes.fromhex(watermark_id)).decode()}]}}


def ours(provenance: Provenance, size: tuple[int, int] | None = None) -> dict[str, Any]:
    """Our assertion: dataset, digest, generator, watermark id and (width, height) signed."""
    data: dict[str, Any] = {k: v for k, v in (
        ("dataset", provenance.dataset), ("dataset_digest", provenance.dataset_digest),
        ("generator", provenance.generator), ("watermark_id", provenance.watermark_id)) if v}
    if size is not None:
        data["width"], data["height"] = size
    return {"label": ASSERTION, "data": data}


def manifest(provenance: Provenance, title: str, *, parent: bool = False,
             size: tuple[int, int] | None = None) -> dict[str, Any]:
    """The manifest definition: ``parent`` when the input's own (valid) manifest becomes the ingredient."""
    us = claim_generator()
    if parent:
        # An edit of an asset that already has Content Credentials: open it (the ingredient), and say
        # what its content is.
        actions: list[dict[str, Any]] = [{"action": "c2pa.opened", "digitalSourceType": provenance.source_type,
                                          "parameters": {"ingredientIds": [_PARENT]}}]
    else:
        actions = [{"action": "c2pa.created", "digitalSourceType": provenance.source_type,
                    "softwareAgent": {"name": provenance.generator or "unspecified generator"},
                    "when": datetime.now(UTC).isoformat(timespec="seconds")}]
    assertions: list[dict[str, Any]] = [{"label": "c2pa.actions", "data": {"actions": actions}}]
    if provenance.watermark_id:
        # c2pa.watermarked must come with a soft binding: it ties the pixel watermark to this manifest,
        # so a stripped copy can be matched back to it.
        actions.append({"action": "c2pa.watermarked", "softwareAgent": us})
        assertions.append(soft_binding(provenance.watermark_id))
    assertions.append(ours(provenance, size))
    return {"claim_generator_info": [us], "title": title, "assertions": assertions}


def sign(data: bytes, mime: str, provenance: Provenance, credentials: Credentials, title: str,
         parent: tuple[bytes, str] | None = None, size: tuple[int, int] | None = None) -> tuple[bytes, bytes]:
    """(``data`` with a signed C2PA manifest embedded, the manifest store alone); ``parent`` (bytes, MIME
    type) is the input image whose own manifest is kept as the parent ingredient."""
    definition = manifest(provenance, title, parent=parent is not None, size=size)
    ingredient = None
    if parent is not None:
        ingredient = ({"title": f"original.{parent[1].rsplit('/', 1)[-1]}", "relationship": "parentOf",
                       "label": _PARENT}, parent[1], parent[0])
    return sign_definition(definition, data, mime, credentials, ingredient=ingredient)


def sign_definition(definition: dict[str, Any], data: bytes, mime: str, credentials: Credentials, *,
                    ingredient: tuple[dict[str, Any], str, bytes] | None = None,
                    resources: dict[str, bytes] | None = None) -> tuple[bytes, bytes]:
    """Sign a manifest definition onto ``data``: (signed asset, manifest store bytes)."""
    info = c2pa_lib.C2paSignerInfo(credentials.algorithm.encode(), credentials.chain_pem, credentials.key_pem, None)
    out = io.BytesIO()
    try:
        with c2pa_lib.Signer.from_info(info) as signer, c2pa_lib.Builder(definition) as builder:
            for uri, blob in (resources or {}).items():
                builder.add_resource(uri, io.BytesIO(blob))
            if ingredient is not None:
                builder.add_ingredient(ingredient[0], ingredient[1], io.BytesIO(ingredient[2]))
            store = builder.sign(signer, mime, io.BytesIO(data), out)
    except c2pa_lib.C2paError as exc:
        raise InputError(f"C2PA signing failed: {exc}", field="cert") from exc
    return out.getvalue(), bytes(store)


@contextlib.contextmanager
def _context(trust_anchors: bytes | None) -> Iterator[Any]:
    settings: dict[str, Any] = {}
    if trust_anchors:
        settings = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust_anchors.decode("ascii")}}
    with c2pa_lib.Context.from_dict(settings) as context:
        yield context


def read(data: bytes, mime: str, trust_anchors: bytes | None = None,
         store: bytes | None = None) -> C2paReport:
    """The active manifest's validation state, signer and what it says about the content's source;
    ``store``: a manifest store kept apart from the asset (sidecar, repository), validated against it."""
    return read_with_results(data, mime, trust_anchors, store)[0]


def read_with_results(data: bytes, mime: str, trust_anchors: bytes | None = None,
                      store: bytes | None = None) -> tuple[C2paReport, dict[str, Any]]:
    """``read``, plus the raw validation results (an ingredient built from this manifest needs them)."""
    if mime not in c2pa_lib.Reader.get_supported_mime_types():
        return C2paReport(present=False, error=f"C2PA is not read from {mime} files"), {}
    try:
        with _context(trust_anchors) as context:
            reader = c2pa_lib.Reader.try_create(mime, io.BytesIO(data), store, context)
            if reader is None:
                return C2paReport(present=False), {}
            with reader:
                state = reader.get_validation_state()
                results = reader.get_validation_results() or {}
                active = reader.get_active_manifest() or {}
    except c2pa_lib.C2paError as exc:
        # A manifest is there (the reader found JUMBF) but cannot be parsed: as good as invalid.
        return C2paReport(present=True, state="Invalid", error=str(exc)), {}
    return _report(state, results, active), results


def _soft_bindings(data: dict[str, Any]) -> list[str]:
    if data.get("alg") != SOFT_BINDING_ALG:
        return []
    ids = []
    for block in data.get("blocks", []):
        try:
            ids.append(base64.b64decode(str(block.get("value", "")), validate=True).hex())
        except ValueError:
            continue  # a value that is not base64 names no watermark id
    return ids


def _report(state: str | None, results: dict[str, Any], active: dict[str, Any]) -> C2paReport:
    status = results.get("activeManifest") or {}
    failures = tuple(str(item.get("code")) for item in status.get("failure", []))
    successes = {str(item.get("code")) for item in status.get("success", [])}
    signature = active.get("signature_info") or {}
    bindings: list[str] = []
    source_types: list[str] = []
    actions: list[str] = []
    mine: dict[str, Any] | None = None
    for assertion in active.get("assertions", []):
        label = str(assertion.get("label", ""))
        data = assertion.get("data") or {}
        if label.startswith("c2pa.actions"):
            actions += [str(a.get("action")) for a in data.get("actions", [])]
            source_types += [str(a["digitalSourceType"]) for a in data.get("actions", []) if a.get("digitalSourceType")]
        elif label == ASSERTION:
            mine = dict(data)
        elif label.startswith("c2pa.soft-binding"):
            bindings += _soft_bindings(data)
    # The claim signature held (c2pa-rs reports claimSignature.validated) and nothing but the asset's
    # own bytes or the trust decision failed.
    signature_valid = "claimSignature.validated" in successes and not (
        set(failures) - {"assertion.dataHash.mismatch", "signingCredential.untrusted"})
    return C2paReport(present=True, state=state, valid=state in ("Valid", "Trusted"), trusted=state == "Trusted",
                      signer=signature.get("common_name"), issuer=signature.get("issuer"),
                      digital_source_types=tuple(source_types), actions=tuple(actions), synthguard=mine,
                      failures=failures, title=active.get("title"), soft_bindings=tuple(bindings),
                      signature_valid=signature_valid, signer_trusted="signingCredential.trusted" in successes,
                      parents=sum(1 for i in active.get("ingredients", []) if i.get("relationship") == "parentOf"))
