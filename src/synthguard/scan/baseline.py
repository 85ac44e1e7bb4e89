"""Baselines: a YAML or JSON file of accepted findings, each with a reason and an expiry date.

::

    version: 1
    accepted:
      - fingerprint: sha256:3f…        # from the JSON / SARIF output (partialFingerprints)
        check: SG-STO-001              # informative; the fingerprint decides
        reason: public demo data set, approved by DPO ticket PRIV-123
        expires: 2026-03-31

An entry suppresses the finding with its fingerprint until (and including) its expiry date; after
that it suppresses nothing and the scan reports it as expired, so acceptance cannot be forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..atomicfile import write_atomic
from ..errors import InputError
from .model import Finding, Note, Suppressed


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    reason: str
    expires: date
    check: str = ""


@dataclass(frozen=True)
class Baseline:
    entries: tuple[BaselineEntry, ...]
    path: str = ""

    @classmethod
    def load(cls, path: str | Path) -> Baseline:
        """Read and validate a baseline; any problem is an ``InputError`` naming the entry and field."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read baseline: {exc}", path=str(file)) from None
        try:
            data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise InputError(f"baseline is not valid {'JSON' if file.suffix.lower() == '.json' else 'YAML'}: "
                             f"{str(exc).splitlines()[0]}", path=str(file)) from None
        if data is None:
            return cls((), str(file))
        raw = data.get("accepted") if isinstance(data, Mapping) else data
        if not isinstance(raw, list):
            raise InputError("baseline must hold a list under 'accepted'", path=str(file), field="accepted")
        return cls(tuple(_entry(item, i + 1, str(file)) for i, item in enumerate(raw)), str(file))

    def apply(self, findings: Iterable[Finding], today: date) -> tuple[list[Finding], list[Suppressed], list[Note]]:
        """Split findings into kept and suppressed; note expired and unused entries."""
        active = {e.fingerprint: e for e in self.entries if e.expires >= today}
        kept: list[Finding] = []
        suppressed: list[Suppressed] = []
        used: set[str] = set()
        for finding in findings:
            entry = active.get(finding.fingerprint)
            if entry is None:
                kept.append(finding)
            else:
                used.add(entry.fingerprint)
                suppressed.append(Suppressed(finding, entry.reason, entry.expires.isoformat()))
        notes = []
        for entry in self.entries:
            label = f"{entry.check + ' ' if entry.check else ''}{entry.fingerprint[:19]}…"
            if entry.expires < today:
                notes.append(Note(f"baseline entry {label} expired on {entry.expires.isoformat()} and no longer "
                                  f"suppresses its finding (reason was: {entry.reason})", self.path,
                                  "baseline-expired"))
            elif entry.fingerprint not in used:
                notes.append(Note(f"baseline entry {label} matched no finding; remove it", self.path,
                                  "baseline-unused"))
        return kept, suppressed, notes


def _entry(item: Any, row: int, path: str) -> BaselineEntry:
    if not isinstance(item, Mapping):
        raise InputError("each accepted entry must be a mapping", path=path, row=row)
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint.startswith("sha256:") or len(fingerprint) != 71:
        raise InputError("fingerprint must be 'sha256:' and 64 hex digits", path=path, row=row, field="fingerprint")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InputError("every accepted finding needs a reason", path=path, row=row, field="reason")
    expires = item.get("expires")
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires.strip())
        except ValueError:
            raise InputError(f"expires must be a date (YYYY-MM-DD), not {expires!r}", path=path, row=row,
                             field="expires") from None
    if not isinstance(expires, date):
        raise InputError("every accepted finding needs an expiry date (YYYY-MM-DD)", path=path, row=row,
                         field="expires")
    return BaselineEntry(fingerprint, reason.strip(), expires, str(item.get("check", "")))


def write_baseline(findings: Sequence[Finding], path: str | Path, *, reason: str, expires: date) -> int:
    """Write (atomically) a baseline accepting ``findings`` with one reason and expiry; returns the count."""
    if not reason.strip():
        raise InputError("a baseline needs a reason", field="reason")
    target = Path(path)
    entries = [{"fingerprint": f.fingerprint, "check": f.check_id, "file": f.file, "resource": f.resource,
                "reason": reason.strip(), "expires": expires.isoformat()} for f in findings]
    document = {"version": 1, "accepted": entries}
    text = json.dumps(document, indent=2) + "\n" if target.suffix.lower() == ".json" else \
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    write_atomic(target, text)
    return len(entries)
