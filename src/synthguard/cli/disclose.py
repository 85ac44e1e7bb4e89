"""``synthguard disclose scan | rewrite | proxy | apim``: AI-content disclosure on storefront pages."""

from __future__ import annotations

import hashlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import config
from ..atomicfile import write_atomic
from ..disclosure import outputs
from ..disclosure.apim import apim_policy
from ..disclosure.crawler import CrawlOptions
from ..disclosure.declarations import (
    DeclarationSet,
    from_catalog,
    load_manifest,
    require_generators,
    resolve_with_catalog,
)
from ..disclosure.middleware import MiddlewareOptions
from ..disclosure.report import SiteReport
from ..disclosure.rewriter import RewriteOptions, RewriteResult, rewrite_page
from ..disclosure.scanner import ScanOptions
from ..disclosure.sitescan import HTML_SUFFIXES, TargetOptions, file_url, scan_target
from ..errors import InputError
from ..workspace import Workspace
from . import disclose_image
from .output import Format, FormatOption, HomeOption, console, emit_json, exit_with

app = typer.Typer(no_args_is_help=True, help="Find and label AI-generated content on storefront pages.")

Manifests = Annotated[list[Path] | None, typer.Option("--manifest", "-m",
                                                     help="Declarations (CSV or JSON), repeatable.")]
CatalogOption = Annotated[bool, typer.Option("--catalog", help="Also use versions tagged disclosure.selector.")]
BasePathOption = Annotated[str, typer.Option(help="URL path local files are served under (for url_pattern).")]


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    html = "html"


def _workspace_if_any(home: str | None) -> Workspace | None:
    """Scanning and rewriting work without a workspace; with one, they are audited."""
    settings = config.resolve(home=home)
    return Workspace.open(settings) if settings.config_path.exists() else None


def _declarations(manifests: list[Path] | None, catalog: bool, ws: Workspace | None) -> DeclarationSet:
    rules = [rule for manifest in manifests or [] for rule in load_manifest(manifest)]
    if catalog:
        if ws is None:
            raise InputError("--catalog needs a workspace (run 'synthguard init' or give --home)", field="catalog")
        rules += from_catalog(ws)
    if ws is not None:
        rules = resolve_with_catalog(ws, rules)
    else:
        require_generators(rules)
    return DeclarationSet(rules)


@app.command()
def scan(
    target: Annotated[str, typer.Argument(help="URL to crawl, sitemap (URL or .xml file), directory or file.")],
    manifest: Manifests = None, catalog: CatalogOption = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Parallel requests.")] = 4,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per request.")] = 10.0,
    max_pages: Annotated[int, typer.Option(min=1, help="Stop crawling after this many pages.")] = 200,
    max_bytes: Annotated[int, typer.Option(min=1024, help="Skip pages larger than this.")] = 5 << 20,
    no_robots: Annotated[bool, typer.Option("--no-robots", help="Ignore robots.txt (your own site only).")] = False,
    base_path: BasePathOption = "/",
    home: HomeOption = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="text, json, sarif or html.")] = ReportFormat.text,
) -> None:
    """Find AI-generated items and check each is disclosed; exit 1 when any gap is found."""
    ws = _workspace_if_any(home)
    try:
        rules = _declarations(manifest, catalog, ws)
        options = TargetOptions(scan=ScanOptions(), crawl=CrawlOptions(
            concurrency=concurrency, timeout=timeout, max_pages=max_pages, max_bytes=max_bytes, robots=not no_robots),
            base_path=base_path)
        try:
            report = scan_target(target, rules, options=options)
        except InputError as exc:
            if ws is not None:
                ws.record("disclosure.scan", target, outcome="failure", details={"error": exc.diagnostics()})
            raise
        if ws is not None:
            ws.record("disclosure.scan", target, outcome="success" if report.ok else "finding",
                      details=report.summary())
    finally:
        if ws is not None:
            ws.close()
    if fmt is ReportFormat.text:
        _print_scan(report)
        if out is not None:
            write_atomic(out, outputs.output_for("json").render(report))
    else:
        rendered = outputs.output_for(fmt.value).render(report)
        if out is not None:
            write_atomic(out, rendered)
        else:
            sys.stdout.write(rendered.decode())
    exit_with(report.ok)


def _print_scan(report: SiteReport) -> None:
    for page in report.pages:
        if not page.gaps and not page.notes:
            continue
        console.print(f"{page.url} ({page.surface}): {len(page.gaps)} gap(s)")
        for gap in page.gaps:
            where = f"line {gap.line}" if gap.line is not None else "page"
            console.print(f"  {where:>9}  {gap.rule} {gap.check:<17} {gap.locator} — {gap.message}")
        for note in page.notes:
            console.print(f"  note: {note}")
    for entry in report.skipped:
        console.print(f"skipped {entry['url']}: {entry['reason']}")
    s = report.summary()
    console.print(f"{s['pages']} page(s), {s['items']} AI-generated item(s), {s['disclosed']} disclosed, "
                  f"{s['gaps']} gap(s); {s['skipped']} skipped")


def _html_files(paths: list[Path], base_path: str) -> list[tuple[Path, str, Path]]:
    """(file, URL path used to match declarations, site root) for files and the HTML files under directories."""
    found = []
    for path in paths:
        if path.is_dir():
            found += [(f, file_url(base_path, f.relative_to(path).as_posix()), path) for f in sorted(path.rglob("*"))
                      if f.is_file() and f.suffix.lower() in HTML_SUFFIXES]
        elif path.is_file():
            found.append((path, file_url(base_path, path.name), path.parent))
        else:
            raise InputError("no such file or directory", path=str(path))
    if not found:
        raise InputError("no .html files to rewrite", path=", ".join(map(str, paths)))
    return found


@app.command()
def rewrite(
    paths: Annotated[list[Path], typer.Argument(help="HTML files or directories.")],
    manifest: Manifests = None, catalog: CatalogOption = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (or file, for one input).")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Replace the files (atomically).")] = False,
    stylesheet: Annotated[str | None, typer.Option(help="Link this label stylesheet where labels are added.")] = None,
    base_path: BasePathOption = "/",
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Add the missing disclosure to pages; only the edits change bytes; exit 1 if gaps remain."""
    files = _html_files(paths, base_path)
    if in_place and out is not None:
        raise InputError("give --out or --in-place, not both", field="out")
    single_to_stdout = out is None and not in_place
    if single_to_stdout and len(files) > 1:
        raise InputError("several files: give --out DIR or --in-place", field="out")
    ws = _workspace_if_any(home)
    try:
        rules = _declarations(manifest, catalog, ws)
        options = RewriteOptions(stylesheet=stylesheet, verify=True)
        results: list[tuple[Path, Path | None, RewriteResult]] = []
        # Everything is read and rewritten before anything is written: bad input writes nothing.
        for file, url, root in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror or exc}", path=str(file)) from exc
            result = rewrite_page(data, rules, url=url, options=options, file=file, root=root)
            target = file if in_place else None
            if out is not None:
                relative = file.relative_to(root).as_posix()
                target = out if len(files) == 1 and out.suffix.lower() in HTML_SUFFIXES else out / relative
            results.append((file, target, result))
        for file, target, result in results:
            if target is not None and (result.changed or target != file):
                write_atomic(target, result.data)
            if ws is not None and result.changed:
                ws.record("disclosure.rewrite", str(target or file),
                          digest="sha256:" + hashlib.sha256(result.data).hexdigest(),
                          details={"source": str(file), "items": result.items, "fixed": result.fixed,
                                   "remaining": result.remaining, "notes": list(result.notes)})
    except InputError as exc:
        if ws is not None:
            ws.record("disclosure.rewrite", ", ".join(map(str, paths)), outcome="failure",
                      details={"error": exc.diagnostics()})
        raise
    finally:
        if ws is not None:
            ws.close()
    remaining = sum(r.remaining or 0 for _, _, r in results)
    if single_to_stdout:
        page = results[0][2].data
        binary = getattr(sys.stdout, "buffer", None)
        if binary is not None:  # the page's own bytes and encoding, not re-encoded
            binary.write(page)
            binary.flush()
        else:
            sys.stdout.write(page.decode("utf-8", "replace"))
    elif fmt is Format.json:
        emit_json([{"file": str(f), "out": str(t) if t else None, "items": r.items, "fixed": r.fixed,
                    "remaining": r.remaining, "notes": list(r.notes)} for f, t, r in results])
    else:
        for file, target, result in results:
            fixed = sum(result.fixed.values())
            console.print(f"{file}: {fixed} gap(s) fixed on {result.items} item(s)"
                          + (f" -> {target}" if target is not None and target != file else ""))
            for note in result.notes:
                console.print(f"  note: {note}")
    exit_with(remaining == 0)


@app.command()
def proxy(
    upstream: Annotated[str, typer.Option(help="The storefront to proxy, e.g. http://127.0.0.1:8000.")],
    manifest: Manifests = None, catalog: CatalogOption = False,
    listen: Annotated[str, typer.Option(help="HOST:PORT to listen on.")] = "127.0.0.1:8080",
    stylesheet_path: Annotated[str | None, typer.Option(
        help="Serve and link the label stylesheet at this path.")] = None,
    max_bytes: Annotated[int, typer.Option(min=1024, help="Pass larger HTML pages through unrewritten.")] = 5 << 20,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the upstream.")] = 30.0,
    home: HomeOption = None,
) -> None:
    """Serve the storefront through a reverse proxy that adds the missing disclosure."""
    from ..disclosure.proxy import parse_listen, serve

    parse_listen(listen)
    ws = _workspace_if_any(home)
    try:
        rules = _declarations(manifest, catalog, ws)
        if ws is not None:
            ws.record("disclosure.proxy", upstream, details={"listen": listen, "declarations": len(rules)})
    finally:
        if ws is not None:
            ws.close()
    console.print(f"proxying {upstream} on http://{listen} with {len(rules)} declaration(s); Ctrl-C stops")
    serve(upstream, rules, listen, options=MiddlewareOptions(max_bytes=max_bytes, stylesheet_path=stylesheet_path),
          timeout=timeout)


@app.command()
def apim(
    manifest: Manifests = None, catalog: CatalogOption = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the policy XML here.")] = None,
    home: HomeOption = None, fmt: FormatOption = Format.text,
) -> None:
    """Write an Azure API Management policy that discloses AI content at the gateway."""
    ws = _workspace_if_any(home)
    try:
        rules = _declarations(manifest, catalog, ws)
        if not len(rules):
            raise InputError("nothing declared: give --manifest (or --catalog)", field="manifest")
        policy = apim_policy(rules.declarations)
        if out is not None:
            write_atomic(out, policy.encode())
        if ws is not None:
            ws.record("disclosure.apim", str(out or "-"),
                      digest="sha256:" + hashlib.sha256(policy.encode()).hexdigest(),
                      details={"declarations": len(rules)})
    finally:
        if ws is not None:
            ws.close()
    if fmt is Format.json:
        emit_json({"policy": policy, "out": str(out) if out else None, "declarations": len(rules)})
    elif out is None:
        sys.stdout.write(policy)
    else:
        console.print(f"wrote {out} ({len(rules)} declaration(s))")


def install(root: typer.Typer) -> None:
    disclose_image.install(app)
    root.add_typer(app, name="disclose")

