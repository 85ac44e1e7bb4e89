"""The value types image labelling speaks in: what to write into an image, and what a check found.

Three independent marks say "this image is AI-generated": the IPTC digital source type in the XMP
packet (read by most asset managers), a signed C2PA manifest (tamper-evident, names the signer) and
an invisible watermark in the pixels (survives re-encoding and resizing, when CDNs strip metadata).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..vocabulary import AI_SOURCE_TYPES

# The IPTC NewsCodes term for content made by a trained model (what Art. 50 marking points at).
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
IPTC_SOURCE_TYPE_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@dataclass(frozen=True)
class Provenance:
    """What the marks say about where the image came from."""

    dataset: str | None = None  # NAME@N in the catalogue
    dataset_digest: str | None = None
    generator: str | None = None  # model / generator and version
    watermark_id: str | None = None  # 16 hex digits (64 bits), also carried in the pixels
    source_type: str = TRAINED_ALGORITHMIC_MEDIA


@dataclass(frozen=True)
class XmpReport:
    present: bool
    digital_source_type: str | None = None
    ai_generated: bool = False
    dataset: str | None = None
    generator: str | None = None
    watermark_id: str | None = None


@dataclass(frozen=True)
class C2paReport:
    """``state`` is the C2PA validation state: Invalid, Valid (intact, signer not checked) or Trusted."""

    present: bool
    state: str | None = None
    valid: bool = False
    trusted: bool = False
    signer: str | None = None  # signing certificate's common name
    issuer: str | None = None  # its issuing organisation
    digital_source_types: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()  # e.g. c2pa.created, c2pa.watermarked
    parents: int = 0  # parent ingredients (an input's own Content Credentials, kept)
    synthguard: dict[str, Any] | None = None  # our assertion's data
    failures: tuple[str, ...] = ()  # validation status codes, e.g. assertion.dataHash.mismatch
    error: str | None = None
    title: str | None = None
    soft_bindings: tuple[str, ...] = ()  # watermark ids named by our c2pa.soft-binding assertion
    signature_valid: bool = False  # claim signature validated (whatever happened to the asset's bytes)
    signer_trusted: bool = False  # the signer chains to a given trust anchor (also when the asset changed)

    @property
    def ai_generated(self) -> bool:
        return self.valid and any(_is_ai(t) for t in self.digital_source_types)


@dataclass(frozen=True)
class WatermarkReport:
    """``bit_accuracy``: share of the 144 carried bits read correctly before error correction."""

    detected: bool
    watermark_id: str | None = None
    bit_accuracy: float | None = None
    strength: float = 0.0  # mean correlation over the embedding strength (≈1 fresh, lower after attacks)


# Content Credentials verdicts: the manifest embedded in the file verifies; or the file has none that
# verifies but its watermark led to a stored manifest whose signature verifies and whose soft binding
# names that watermark (its hard binding cannot match: the pixels were re-encoded); or a manifest
# was found and fails; or none was found.
EMBEDDED_VALID = "embedded-valid"
RECOVERED = "recovered-via-watermark"
INVALID = "invalid"
ABSENT = "absent"


@dataclass(frozen=True)
class RecoveryReport:
    """A manifest found through the watermark id (C2PA "manifest recovery" by soft binding)."""

    source: str  # file (--manifest), sidecar (IMAGE.c2pa) or repository (<home>/c2pa-manifests)
    location: str
    watermark_id: str
    manifest: C2paReport
    soft_binding: str  # matched | mismatched (names another id) | missing (no soft-binding assertion)
    hard_binding: str  # mismatch (expected for a transformed copy) | match
    sha256: str = ""  # of the manifest store bytes
    audit: str | None = None  # repository entries in a workspace: audited | mismatch | unaudited
    recovered: bool = False


@dataclass(frozen=True)
class ImageReport:
    path: str
    format: str
    width: int
    height: int
    xmp: XmpReport
    c2pa: C2paReport
    watermark: WatermarkReport
    catalogue: dict[str, Any] | None = None  # the dataset version the watermark id links to, if known
    trust_required: bool = False
    credentials: str = ABSENT  # EMBEDDED_VALID, RECOVERED, INVALID or ABSENT
    recovery: RecoveryReport | None = None
    credentials_required: bool = False

    @property
    def recovered_ai_generated(self) -> bool:
        return (self.credentials == RECOVERED and self.recovery is not None
                and any(_is_ai(t) for t in self.recovery.manifest.digital_source_types))

    @property
    def ai_marked(self) -> bool:
        """Something intact says the image is AI-generated."""
        return (self.xmp.ai_generated or self.c2pa.ai_generated or self.recovered_ai_generated
                or self.watermark.detected)

    @property
    def ok(self) -> bool:
        """Marked, and no C2PA manifest that fails to verify (or to chain to a required trust anchor);
        with ``credentials_required``, a valid embedded or recovered manifest saying AI-generated."""
        if self.credentials == INVALID:
            return False
        if self.credentials_required:
            return self.c2pa.ai_generated or self.recovered_ai_generated
        return self.ai_marked

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ai_marked"] = self.ai_marked
        data["ok"] = self.ok
        data["c2pa"]["ai_generated"] = self.c2pa.ai_generated
        if self.recovery is not None:
            data["recovery"]["manifest"]["ai_generated"] = self.recovered_ai_generated
        return data


@dataclass(frozen=True)
class LabelResult:
    out: str
    format: str
    sha256: str
    provenance: Provenance
    xmp: bool
    c2pa_signed: bool
    c2pa_signer: str | None
    c2pa_skipped_reason: str | None
    watermarked: bool
    psnr_db: float | None = None  # pixel change from the watermark, as peak signal-to-noise ratio
    notes: tuple[str, ...] = field(default_factory=tuple)
    manifest_sha256: str | None = None  # of the signed C2PA manifest store
    manifest_stored: str | None = None  # its copy in the manifest repository, for recovery by watermark
    sidecar: str | None = None  # its copy next to the output (OUT.c2pa)
    manifest_store: bytes | None = field(default=None, repr=False)  # the bytes c2pa-rs signed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["manifest_store"]
        return data


@dataclass(frozen=True)
class ReattachResult:
    """A transformed copy given new Content Credentials whose parent ingredient is its recovered manifest."""

    out: str
    format: str
    sha256: str
    watermark_id: str
    parent_location: str  # where the recovered manifest came from
    parent_signer: str | None
    actions: tuple[str, ...]
    c2pa_signer: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _is_ai(source_type: str) -> bool:
    # One list of AI terms for pages and images: the disclosure vocabulary's.
    term = source_type.rstrip("/").rsplit("/", 1)[-1].lower()
    return term in AI_SOURCE_TYPES


def is_ai_source_type(source_type: str | None) -> bool:
    """True for IPTC digital source types (URI or bare term) that mean AI-generated content."""
    return source_type is not None and _is_ai(source_type)
