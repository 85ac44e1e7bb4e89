"""Run a scan: walk the paths, read each text file once, find SAS tokens in it, parse it with the
parser its extension / content calls for, then run every check over all resources together.

Malformed files become ``SG-PARSE-001`` findings (file and line) and the scan goes on; unreadable,
oversized, binary and non-UTF-8 files are skipped with a note.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError
from .baseline import Baseline
from .checks import CHECKS, PARSE_ERROR, all_check_infos
from .context import ScanContext
from .model import Finding, Note, ScanResult, Suppressed
from .options import ScanOptions
from .parsers import ParseFailure, SkipFile, SourceFile, parser_for
from .resources import Resource
from .sas import SasToken, find_tokens

log = logging.getLogger(__name__)
_SNIFF = 8192


def _display(path: Path) -> str:
    """The name findings use: relative to the working directory when under it (SARIF wants that)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def walk(paths: Sequence[str | Path], excludes: Sequence[str]) -> Iterator[Path]:
    """Every file under ``paths`` in a stable order; a missing path is bad input."""
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError("no such file or directory", path=str(given))
        if path.is_file():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in excludes)
            for name in sorted(files):
                yield Path(root) / name


def read_source(path: Path, options: ScanOptions) -> SourceFile | Note:
    display = _display(path)
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            return Note(f"skipped: {size} bytes is larger than the {options.max_file_bytes}-byte limit", display)
        data = path.read_bytes()
    except OSError as exc:
        return Note(f"skipped: unreadable ({exc.strerror or exc})", display)
    if b"\x00" in data[:_SNIFF]:
        return Note("skipped: binary file", display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Note(f"skipped: not UTF-8 text (byte {exc.start})", display)
    return SourceFile(path=path, display=display, text=text)


def scan(paths: Sequence[str | Path], options: ScanOptions | None = None, *,
         baseline: Baseline | None = None) -> ScanResult:
    """Scan files and directories; see ``ScanResult`` for what comes back."""
    options = options or ScanOptions()
    started = time.perf_counter()
    resources: list[Resource] = []
    tokens: list[SasToken] = []
    findings: list[Finding] = []
    notes: list[Note] = []
    files = 0
    for path in walk(paths, options.excludes):
        source = read_source(path, options)
        if isinstance(source, Note):
            notes.append(source)
            continue
        files += 1
        tokens.extend(find_tokens(source.text, source.display))
        parser = parser_for(source)
        if parser is None:
            continue
        try:
            resources.extend(parser.parse(source))
        except ParseFailure as exc:
            findings.append(Finding.of(PARSE_ERROR, exc.message, file=source.display, line=exc.line,
                                       key=parser.name))
        except SkipFile as exc:
            notes.append(Note(f"skipped: {exc}", source.display))
        except RecursionError:
            findings.append(Finding.of(PARSE_ERROR, "nested too deeply to parse", file=source.display,
                                       key=parser.name))
    ctx = ScanContext(resources, tokens, options)
    for check in CHECKS:
        if options.only and check.info.id not in options.only:
            continue
        try:
            findings.extend(check.run(ctx))
        except Exception as exc:  # one broken check must not hide the others' findings
            log.warning("check %s failed", check.info.id, exc_info=True)
            notes.append(Note(f"check {check.info.id} failed: {exc.__class__.__name__}: {exc}", kind="error"))
    unique = list({f.fingerprint: f for f in findings}.values())
    suppressed: list[Suppressed] = []
    if baseline is not None:
        today = (options.now or datetime.now(UTC)).date()
        unique, suppressed, baseline_notes = baseline.apply(unique, today)
        notes.extend(baseline_notes)
    unique.sort(key=Finding.sort_key)
    return ScanResult(findings=tuple(unique), notes=tuple(notes), suppressed=tuple(suppressed), files_scanned=files,
                      resources=len(resources), seconds=time.perf_counter() - started, checks=all_check_infos(),
                      targets=tuple(str(p) for p in paths))
