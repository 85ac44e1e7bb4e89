"""Reading a trace report (``synthguard trace FILE --format json``) as incident input, defensively.

Only a few fields are needed, and the report format belongs to ``synthguard.watermark``, so this
accepts the names it may use and ignores the rest:

    {"attributed": true,                      # or "verdict": "attributed" | "no attribution"
     "file": "found-online.csv", "dataset": "customers@3",
     "candidates": [{"release_id": "r-12", "recipient": "acme-analytics", "named": true,
                     "dataset": "customers@3", "bound": 3.1e-14}, ...]}   # ranked, best first

The suspects are the candidates marked ``named`` (several when recipients colluded), else the top
one. A candidate whose bound on false attribution exceeds ``ATTRIBUTION_BOUND`` is never a suspect,
whatever the report says: the incident then records the leak without naming anyone.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

ATTRIBUTION_BOUND = 1e-9
MAX_BYTES = 64 << 20
KEPT_CANDIDATES = 5

_RELEASE = ("release_id", "release")
_RECIPIENT = ("recipient", "recipient_id")
_DATASET = ("dataset", "version", "ref", "dataset_version")
_BOUND = ("bound", "false_attribution_bound", "p_value", "pvalue")


@dataclass(frozen=True)
class Candidate:
    release_id: str | None
    recipient: str | None
    dataset: str | None
    bound: float | None
    named: bool | None = None  # the report's own verdict on this candidate, when it gives one

    @property
    def strong(self) -> bool:
        return self.bound is None or self.bound <= ATTRIBUTION_BOUND

    def to_json(self) -> dict[str, Any]:
        return {"release_id": self.release_id, "recipient": self.recipient, "dataset": self.dataset,
                "bound": self.bound, "named": self.named}


@dataclass(frozen=True)
class TraceSummary:
    """What an incident keeps of a trace report: its digest, verdict and top candidates."""

    path: str
    sha256: str
    attributed: bool
    dataset: str | None
    candidates: tuple[Candidate, ...]

    @property
    def suspects(self) -> tuple[Candidate, ...]:
        """The candidates the evidence names: every ``named`` one, else the top one; never a weak one."""
        if not self.attributed:
            return ()
        if any(c.named is not None for c in self.candidates):
            return tuple(c for c in self.candidates if c.named and c.strong)
        return self.candidates[:1]

    def to_json(self) -> dict[str, Any]:
        return {"file": self.path, "sha256": self.sha256, "attributed": self.attributed, "dataset": self.dataset,
                "candidates": [c.to_json() for c in self.candidates[:KEPT_CANDIDATES]]}


def read_trace_report(path: Path) -> TraceSummary:
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("trace report not found", path=where, field="from-trace") from exc
    except OSError as exc:
        raise InputError(f"cannot read trace report: {exc.strerror or exc}", path=where, field="from-trace") from exc
    if not raw.strip():
        raise InputError("trace report is empty", path=where, field="from-trace")
    if len(raw) > MAX_BYTES:
        raise InputError(f"trace report is larger than {MAX_BYTES >> 20} MiB", path=where, field="from-trace")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"trace report is not UTF-8 (byte {exc.start})", path=where) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"trace report is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         path=where, row=exc.lineno) from exc
    if not isinstance(document, dict):
        raise InputError("trace report must be a JSON object", path=where)
    candidates = document.get("candidates")
    if not isinstance(candidates, list):
        raise InputError("not a trace report: no 'candidates' list", path=where, field="candidates")
    parsed = tuple(_candidate(c, i, where) for i, c in enumerate(candidates))
    dataset = _text(document, ("dataset", "version", "ref"), where, "dataset")
    return TraceSummary(where, hashlib.sha256(raw).hexdigest(), _attributed(document, parsed, where),
                        dataset, parsed)


def _attributed(document: dict[str, Any], candidates: tuple[Candidate, ...], where: str) -> bool:
    claimed = True
    if document.get("attributed") is not None:
        if not isinstance(document["attributed"], bool):
            raise InputError("must be true or false", path=where, field="attributed")
        claimed = document["attributed"]
    verdict = document.get("verdict", document.get("attribution"))
    if isinstance(verdict, str) and verdict.strip().lower().replace("_", " ").replace("-", " ") in (
            "no attribution", "none", "unattributed"):
        claimed = False
    if not claimed or not candidates:
        return False
    for index, candidate in enumerate(candidates):
        if candidate.named is not False and candidate.release_id is None and candidate.recipient is None:
            raise InputError("candidate names neither a release nor a recipient", path=where,
                             field=f"candidates[{index}].release_id")
    # A bound above the threshold is not evidence enough to name anyone, whatever the verdict says.
    if any(c.named is not None for c in candidates):
        return any(c.named and c.strong for c in candidates)
    return candidates[0].strong


def _candidate(raw: object, index: int, where: str) -> Candidate:
    at = f"candidates[{index}]"
    if not isinstance(raw, dict):
        raise InputError("must be an object", path=where, field=at)
    return Candidate(release_id=_text(raw, _RELEASE, where, f"{at}.release_id"),
                     recipient=_text(raw, _RECIPIENT, where, f"{at}.recipient"),
                     dataset=_text(raw, _DATASET, where, f"{at}.dataset"),
                     bound=_bound(raw, where, f"{at}.bound"), named=_flag(raw, where, f"{at}.named"))


def _text(raw: dict[str, Any], names: tuple[str, ...], where: str, field: str) -> str | None:
    for name in names:
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, dict):  # e.g. "release": {"id": ...} or "dataset": {"ref": ...}
            value = value.get("id", value.get("ref"))
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            raise InputError("must be a non-empty string", path=where, field=field)
        return str(value).strip()
    return None


def _flag(raw: dict[str, Any], where: str, field: str) -> bool | None:
    value = raw.get("named")
    if value is None or isinstance(value, bool):
        return value
    raise InputError("must be true or false", path=where, field=field)


def _bound(raw: dict[str, Any], where: str, field: str) -> float | None:
    for name in _BOUND:
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1 or math.isnan(value):
            raise InputError(f"must be a probability in [0, 1], got {value!r}", path=where, field=field)
        return float(value)
    return None
