"""``synthguard disclose image IN --out OUT``, ``… image verify FILE`` and ``… image reattach IN --out OUT``:
label AI-generated images, check them, and give a CDN's transformed copy its Content Credentials back.

``image`` is a group whose default command is ``label``, so ``image IN --out OUT`` and
``image label IN --out OUT`` are the same; ``image verify FILE`` checks a file. Mount with
``disclose_app.add_typer(disclose_image.app, name="image")``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from .. import config
from ..errors import InputError
from ..workspace import Workspace
from .output import Format, FormatOption, HomeOption, console, emit_json, exit_with

if TYPE_CHECKING:
    from ..disclosure.images import ImageReport, LabelResult, ReattachResult


def _images() -> ModuleType:
    """The image library, imported on use: it needs the [images] extra, the rest of the CLI does not."""
    try:
        from ..disclosure import images
        from ..disclosure.images import catalogue  # noqa: F401 (loads the workspace glue)
    except ImportError as exc:
        raise InputError(f"image labelling needs the [images] extra: pip install 'synthguard[images]' ({exc})") from exc
    return images


@contextlib.contextmanager
def _workspace_if_any(home: str | None) -> Iterator[Workspace | None]:
    """Labelling and checking work without a workspace; with one they use the catalogue and are audited."""
    settings = config.resolve(home=home)
    if not settings.config_path.exists():
        yield None
        return
    with Workspace.open(settings) as ws:
        yield ws


class _LabelByDefault(TyperGroup):
    """Runs ``label`` when the first argument is not a subcommand (``image IN --out OUT``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Any: typer vendors its own click
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["label", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_LabelByDefault, no_args_is_help=True,
                  help="Label AI-generated images (IPTC/XMP, signed C2PA, invisible watermark) and check them. "
                       "'image IN --out OUT' is short for 'image label IN --out OUT'.")


@app.command("label")
def label(
    source: Annotated[Path, typer.Argument(metavar="IN", help="Image to label (JPEG, PNG, or anything Pillow reads).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Labelled copy: .jpg or .png.")],
    dataset: Annotated[str | None, typer.Option(help="NAME@N the image was generated from.")] = None,
    generator: Annotated[str | None, typer.Option(help="Generator and version (default: the dataset's).")] = None,
    watermark_id: Annotated[str | None, typer.Option(
        help="64-bit id (hex) for the watermark (default: from the dataset digest, else random).")] = None,
    key: Annotated[Path | None, typer.Option(envvar="SYNTHGUARD_C2PA_KEY",
                                             help="C2PA signing key (PEM; default <home>/c2pa/signer.key).")] = None,
    cert: Annotated[Path | None, typer.Option(envvar="SYNTHGUARD_C2PA_CERT",
                                              help="Its certificate chain, leaf first (default <home>/c2pa/chain.pem).")
                    ] = None,
    no_watermark: Annotated[bool, typer.Option("--no-watermark", help="Metadata only.")] = False,
    sidecar: Annotated[bool, typer.Option("--sidecar", help="Also write the signed manifest store as OUT.c2pa.")
                       ] = False,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Write a copy marked as AI-generated: XMP digital source type, C2PA manifest (when a key is given), watermark.

    With a workspace (--home / SYNTHGUARD_HOME) the label is audited and --dataset is looked up."""
    images = _images()
    with _workspace_if_any(home) as ws:
        result: LabelResult = images.catalogue.label(
            ws, source, out, dataset=dataset, generator=generator, watermark_id=watermark_id, key=key, cert=cert,
            watermark=not no_watermark, sidecar=sidecar)
    if fmt is Format.json:
        emit_json(result.to_json())
    else:
        _print_label(result)


def _term(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _print_label(result: LabelResult) -> None:
    p = result.provenance
    console.print(f"wrote {result.out} ({result.format}, sha256 {result.sha256[:16]}…)")
    xmp = [f"digital source type {_term(p.source_type)}"]
    xmp += [f"dataset {p.dataset}"] if p.dataset else []
    xmp += [f"generator {p.generator}"] if p.generator else []
    console.print("  XMP        " + ", ".join(xmp))
    if result.c2pa_signed:
        kept = [k for k in (result.manifest_stored, result.sidecar) if k]
        console.print(f"  C2PA       manifest signed by {result.c2pa_signer}"
                      + (f"; kept for recovery in {', '.join(kept)}" if kept else ""))
    else:
        console.print(f"  C2PA       skipped: {result.c2pa_skipped_reason} "
                      "(--key/--cert, or <home>/c2pa/signer.key and chain.pem)")
    if result.watermarked:
        console.print(f"  watermark  id {p.watermark_id} (PSNR {result.psnr_db} dB)")
    else:
        console.print("  watermark  none (--no-watermark)")
    for note in result.notes:
        console.print(f"  note: {note}")


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Image to check.")],
    trust_anchor: Annotated[Path | None, typer.Option(
        help="PEM root certificate(s); the C2PA signer must chain to one.")] = None,
    manifest: Annotated[Path | None, typer.Option(
        help="C2PA manifest store (.c2pa) to recover from, instead of FILE.c2pa or the workspace repository.")
                        ] = None,
    require_credentials: Annotated[bool, typer.Option(
        "--require-credentials", help="Pass only with a valid embedded or recovered manifest saying AI-generated.")
                                   ] = False,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Report the XMP digital source type, C2PA manifest (valid? signer?) and watermark id; recover the
    manifest through the watermark when the file lost it.

    Exit 1 when nothing marks the image as AI-generated or its C2PA manifest does not verify."""
    images = _images()
    options = _verify_options(images, trust_anchor, manifest, require_credentials)
    with _workspace_if_any(home) as ws:
        # With a workspace here, the watermark id is looked up in the catalogue and the check audited.
        report: ImageReport = images.catalogue.verify(ws, file, options)
    if fmt is Format.json:
        emit_json(report.to_json())
    else:
        _print_report(report)
    exit_with(report.ok)


def _verify_options(images: ModuleType, trust_anchor: Path | None, manifest: Path | None,
                    require_credentials: bool = False) -> Any:
    from ..disclosure.images import raster

    recovery = images.RecoverySources()
    if manifest is not None:
        store = raster.read_file(manifest)
        if store[4:8] != b"jumb":  # a manifest store is one JUMBF superbox
            raise InputError("not a C2PA manifest store (.c2pa)", path=str(manifest), field="manifest")
        recovery = images.RecoverySources(manifest=store, manifest_name=str(manifest))
    return images.VerifyOptions(trust_anchors=images.load_trust_anchors(trust_anchor) if trust_anchor else None,
                                recovery=recovery, require_credentials=require_credentials)


@app.command("reattach")
def reattach(
    source: Annotated[Path, typer.Argument(metavar="IN", help="Transformed copy (e.g. a CDN's resized JPEG).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Copy with new Content Credentials: .jpg or .png.")],
    manifest: Annotated[Path | None, typer.Option(
        help="C2PA manifest store (.c2pa) to recover from, instead of IN.c2pa or the workspace repository.")
                        ] = None,
    trust_anchor: Annotated[Path | None, typer.Option(
        help="PEM root certificate(s); the recovered manifest's signer must chain to one.")] = None,
    key: Annotated[Path | None, typer.Option(envvar="SYNTHGUARD_C2PA_KEY",
                                             help="C2PA signing key (PEM; default <home>/c2pa/signer.key).")] = None,
    cert: Annotated[Path | None, typer.Option(envvar="SYNTHGUARD_C2PA_CERT",
                                              help="Its certificate chain, leaf first (default <home>/c2pa/chain.pem).")
                    ] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Recover IN's manifest through its watermark and sign a new one onto OUT with it as parent ingredient.

    Exit 1 when no manifest is recovered (nothing written)."""
    images = _images()
    options = _verify_options(images, trust_anchor, manifest)
    with _workspace_if_any(home) as ws:
        result: ReattachResult = images.catalogue.reattach(ws, source, out, options, key=key, cert=cert)
    if fmt is Format.json:
        emit_json(result.to_json())
    else:
        console.print(f"wrote {result.out} ({result.format}, sha256 {result.sha256[:16]}…)")
        console.print(f"  C2PA       manifest signed by {result.c2pa_signer}: {', '.join(result.actions)}")
        console.print(f"  parent     recovered from {result.parent_location} (signed by {result.parent_signer}) "
                      f"via watermark id {result.watermark_id}")


def _print_report(report: ImageReport) -> None:
    marks = [name for name, on in (("XMP", report.xmp.ai_generated), ("C2PA", report.c2pa.ai_generated),
                                   ("C2PA (recovered)", report.recovered_ai_generated),
                                   ("watermark", report.watermark.detected)) if on]
    verdict = f"marked AI-generated by {', '.join(marks)}" if marks else "NOT marked as AI-generated"
    console.print(f"{report.path} ({report.format} {report.width}×{report.height}): {verdict}")
    x = report.xmp
    xmp = [f"digital source type {x.digital_source_type or 'absent'}"] if x.present else ["none"]
    xmp += [f"dataset {x.dataset}"] if x.dataset else []
    console.print("  XMP        " + ", ".join(xmp))
    c = report.c2pa
    parts = [c.state or "none"] if c.present else ["none"]
    if c.signer:
        parts.append(f"signed by {c.signer} ({c.issuer})")
    if c.digital_source_types:
        parts.append("source type " + ", ".join(_term(t) for t in c.digital_source_types))
    if c.parents:
        parts.append(f"parent ingredient: {c.parents}; actions {', '.join(c.actions)}")
    # Without trust anchors every signer is "untrusted"; that is only news when anchors were given.
    problems = [f for f in c.failures if f != "signingCredential.untrusted" or report.trust_required]
    parts += [f"failures: {', '.join(problems)}"] if problems else []
    parts += [c.error] if c.error else []
    console.print("  C2PA       " + "; ".join(parts))
    console.print("  credentials " + _credentials_line(report))
    w = report.watermark
    line = f"id {w.watermark_id}, bit accuracy {w.bit_accuracy:.3f}, strength {w.strength}" if w.detected else "none"
    if report.catalogue:
        line += f" → {report.catalogue['ref']}"
    console.print("  watermark  " + line)


def _credentials_line(report: ImageReport) -> str:
    from ..disclosure.images.recovery import explain

    r = report.recovery
    line = report.credentials
    if r is not None and r.recovered:
        m = r.manifest
        line += (f": {r.source} {r.location}, signed by {m.signer} ({m.issuer}); soft binding {r.watermark_id} "
                 f"matched; hard binding mismatch (expected: the pixels were re-encoded)")
    elif report.credentials != "embedded-valid":
        broken = "the embedded manifest does not verify, and " if report.c2pa.present else ""
        line += f": {broken}{explain(r, report.watermark.watermark_id)}"
    return line


def install(disclose: typer.Typer) -> None:
    """Mount under the ``disclose`` command group."""
    disclose.add_typer(app, name="image")
