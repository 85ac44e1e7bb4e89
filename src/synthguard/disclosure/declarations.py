"""Declarations: which content on which pages is AI-generated.

A manifest (CSV with a header row, or JSON: a list of objects or ``{"declarations": [...]}``) has one
row per rule: ``url_pattern`` (a glob over the URL path such as ``/products/*``, a full-URL glob, or
``re:<regex>``) and / or ``sku``, a CSS ``selector``, the ``generator``, the ``dataset`` (``name@N``)
and the ``date`` it was generated, optionally the ``kind`` (text, image, recommendations) and the
``label`` text to show. Every selector is compiled up front: a bad one is an error naming the row.
Versions in the catalogue tagged ``disclosure.selector`` (and optionally ``disclosure.url``) are
declarations too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fnmatch import translate
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from ..catalog import naming
from ..errors import InputError, NotFoundError

if TYPE_CHECKING:
    from ..workspace import Workspace

KINDS = ("auto", "text", "image", "recommendations")
COLUMNS = ("url_pattern", "sku", "selector", "generator", "dataset", "date", "kind", "label")
_PROBE = LexborHTMLParser("<p></p>")


@dataclass(frozen=True)
class Declaration:
    """One rule: elements matching ``selector`` on matching pages are AI-generated."""

    selector: str
    generator: str
    url_pattern: str | None = None
    sku: str | None = None
    dataset: str | None = None
    date: str | None = None
    kind: str = "auto"
    label: str | None = None
    origin: str = ""  # where it was declared, e.g. "manifest.csv row 3"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def check_selector(selector: str) -> str:
    """The selector, if lexbor can compile it; else ValueError with lexbor's reason."""
    if not selector.strip():
        raise ValueError("empty selector")
    try:
        _PROBE.css(selector)
    except Exception as exc:  # selectolax raises its own SelectolaxError (a subclass of Exception)
        raise ValueError(f"invalid CSS selector {selector!r}: {exc}") from None
    return selector


@lru_cache(maxsize=4096)
def _pattern(url_pattern: str) -> re.Pattern[str]:
    if url_pattern.startswith("re:"):
        return re.compile(url_pattern[3:])
    return re.compile(translate(url_pattern))


def url_matches(url_pattern: str | None, url: str) -> bool:
    """Globs without a scheme match the path (and query); ``re:`` patterns search the whole URL."""
    if url_pattern is None:
        return True
    pattern = _pattern(url_pattern)
    if url_pattern.startswith("re:"):
        return pattern.search(url) is not None
    if "://" in url_pattern:
        return pattern.match(url) is not None
    parts = urlsplit(url)
    path = parts.path or "/"
    return pattern.match(path) is not None or (bool(parts.query) and pattern.match(f"{path}?{parts.query}") is not None)


class DeclarationSet:
    """Declarations ready for scanning: per URL, the rules that apply and one combined selector."""

    def __init__(self, declarations: Iterable[Declaration]) -> None:
        self.declarations: tuple[Declaration, ...] = tuple(declarations)
        self._cache: dict[tuple[bool, ...], str] = {}

    def __len__(self) -> int:
        return len(self.declarations)

    def for_url(self, url: str) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if url_matches(d.url_pattern, url))

    def combined(self, applicable: Sequence[Declaration]) -> str:
        """One selector list for all applicable rules, so the page is traversed once."""
        key = tuple(d in applicable for d in self.declarations)
        if key not in self._cache:
            self._cache[key] = ", ".join(dict.fromkeys(d.selector for d in applicable))
        return self._cache[key]


def as_set(declarations: DeclarationSet | Iterable[Declaration]) -> DeclarationSet:
    return declarations if isinstance(declarations, DeclarationSet) else DeclarationSet(declarations)


# -- manifests ---------------------------------------------------------------------------------------


def load_manifest(path: str | Path) -> list[Declaration]:
    """Read and validate a CSV or JSON manifest; errors name the file, row and field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the manifest: {exc.strerror or exc}", path=str(path)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("the manifest is not valid UTF-8", path=str(path)) from exc
    fmt = "json" if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{") else "csv"
    rows = _json_rows(text, path) if fmt == "json" else _csv_rows(text, path)
    declarations = [_declaration(values, str(path), row) for row, values in rows]
    if not declarations:
        raise InputError("the manifest declares nothing", path=str(path))
    return declarations


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError("the manifest is empty", path=str(path)) from None
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", path=str(path), row=1) from exc
    for name in header:
        if name not in COLUMNS:
            raise InputError(f"unknown column (expected some of: {', '.join(COLUMNS)})", path=str(path),
                             row=1, field=name)
    rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(header):
                raise InputError(f"{len(record)} fields but the header has {len(header)}", path=str(path),
                                 row=reader.line_num)
            rows.append((reader.line_num, dict(zip(header, record, strict=False))))
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", path=str(path), row=reader.line_num) from exc
    return rows


def _json_rows(text: str, path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         path=str(path)) from exc
    if isinstance(data, dict):
        data = data.get("declarations")
    if not isinstance(data, list):
        raise InputError('expected a list of declarations or {"declarations": [...]}', path=str(path))
    rows = []
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise InputError("each declaration must be an object", path=str(path), row=index)
        for key, value in entry.items():
            if key not in COLUMNS:
                raise InputError(f"unknown key (expected some of: {', '.join(COLUMNS)})", path=str(path),
                                 row=index, field=key)
            if value is not None and not isinstance(value, str):
                raise InputError("must be a string", path=str(path), row=index, field=key)
        rows.append((index, {k: v or "" for k, v in entry.items()}))
    return rows


def _declaration(values: dict[str, str], path: str, row: int) -> Declaration:
    def field(name: str) -> str | None:
        value = (values.get(name) or "").strip()
        return value or None

    def bad(name: str, message: str) -> InputError:
        return InputError(message, path=path, row=row, field=name)

    selector = field("selector")
    if selector is None:
        raise bad("selector", "a CSS selector is required")
    try:
        check_selector(selector)
    except ValueError as exc:
        raise bad("selector", str(exc)) from None
    url_pattern, sku = field("url_pattern"), field("sku")
    if url_pattern is None and sku is None:
        raise bad("url_pattern", "give a url_pattern (use * for every page) or a sku")
    if url_pattern is not None and url_pattern.startswith("re:"):
        try:
            re.compile(url_pattern[3:])
        except re.error as exc:
            raise bad("url_pattern", f"invalid regular expression: {exc}") from None
    dataset = field("dataset")
    if dataset is not None:
        try:
            name, number = naming.parse_ref(dataset)
        except InputError as exc:
            raise bad("dataset", exc.message) from None
        if number is None:
            raise bad("dataset", f"name the version: {name}@N")
    generator = field("generator")
    if generator is None and dataset is None:
        raise bad("generator", "name the generator (or a dataset@version to take it from the catalogue)")
    when = field("date")
    if when is not None:
        try:
            (datetime if "T" in when else date).fromisoformat(when)
        except ValueError:
            raise bad("date", f"not an ISO 8601 date: {when!r}") from None
    kind = (field("kind") or "auto").lower()
    if kind not in KINDS:
        raise bad("kind", f"one of {', '.join(KINDS)}, not {kind!r}")
    return Declaration(selector=selector, generator=generator or "", url_pattern=url_pattern, sku=sku,
                       dataset=dataset, date=when, kind=kind, label=field("label"), origin=f"{path} row {row}")


# -- the catalogue ---------------------------------------------------------------------------------


def resolve_with_catalog(ws: Workspace, declarations: Sequence[Declaration]) -> list[Declaration]:
    """Check that every named dataset version exists; fill a missing generator from the catalogue."""
    from ..catalog.records import find_version

    resolved = []
    with ws.session() as session:
        for decl in declarations:
            if decl.dataset is None:
                resolved.append(decl)
                continue
            try:
                row = find_version(session, ws.settings.tenant, decl.dataset)
            except NotFoundError as exc:
                path, _, row_no = decl.origin.rpartition(" row ")
                raise InputError(exc.message, path=path or None, row=int(row_no) if row_no.isdigit() else None,
                                 field="dataset") from exc
            resolved.append(decl if decl.generator else replace(decl, generator=row.generator))
    return resolved


def require_generators(declarations: Sequence[Declaration]) -> None:
    """Without a catalogue, a row naming only a dataset has no generator to write."""
    for decl in declarations:
        if not decl.generator:
            path, _, row = decl.origin.rpartition(" row ")
            raise InputError("no generator (give one, or open a workspace so it is read from the catalogue)",
                             path=path or None, row=int(row) if row.isdigit() else None, field="generator")


def from_catalog(ws: Workspace) -> list[Declaration]:
    """Versions tagged ``disclosure.selector`` (and ``disclosure.url``, default ``*``) declare content."""
    found = []
    for version in ws.versions():
        selector = version.tags.get("disclosure.selector")
        if not selector:
            continue
        try:
            check_selector(selector)
        except ValueError as exc:
            raise InputError(str(exc), path=f"catalogue {version.ref}", field="disclosure.selector") from None
        kind = version.tags.get("disclosure.kind", "auto").lower()
        if kind not in KINDS:
            raise InputError(f"one of {', '.join(KINDS)}, not {kind!r}", path=f"catalogue {version.ref}",
                             field="disclosure.kind")
        found.append(Declaration(selector=selector, generator=version.generator, dataset=version.ref,
                                 url_pattern=version.tags.get("disclosure.url", "*"), kind=kind,
                                 date=version.created_at.date().isoformat(), origin=f"catalogue {version.ref}"))
    return found
