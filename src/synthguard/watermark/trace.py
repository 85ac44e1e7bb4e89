"""Trace a leaked fragment back to the release it came from, with the evidence, or say "no attribution".

``trace(ws, "found-online.csv")`` reads any fragment of a released copy — a subset of rows in any
order, columns dropped or renamed, CSV instead of Parquet, floats rounded, cells damaged — matches its
columns to each watermark scheme's released columns, reads the marks, and scores every release of the
tenant (of ``dataset`` when given) against them. A release is *named* only when the bound on false
attribution (its binomial tail times the number of releases checked) is at most 1e-9; otherwise the
report says "no attribution". Releases whose watermark key the workspace no longer holds are not
checked (and the report says so): a missing or replaced secret can never name anyone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..errors import InputError, NotFoundError
from ..tabular import reader_for
from . import keys
from .detect import Scores, Votes, read_votes, score
from .profile import ColumnMatch, map_columns, renamed
from .records import Release, SchemeRecord, schemes_with_releases
from .scheme import codewords

if TYPE_CHECKING:
    from ..workspace import Workspace

ATTRIBUTION_BOUND = 1e-9
LOG10_ATTRIBUTION_BOUND = math.log10(ATTRIBUTION_BOUND)


@dataclass(frozen=True)
class Candidate:
    """One release's evidence: marks checked, positions decided, matches and the bounds."""

    release: Release
    marks: int
    positions: int
    matches: int
    agreeing_marks: int
    log10_p: float
    log10_bound: float

    @property
    def bound(self) -> float:
        return float(10.0 ** self.log10_bound)

    @property
    def named(self) -> bool:
        return self.log10_bound <= LOG10_ATTRIBUTION_BOUND

    def to_json(self) -> dict[str, Any]:
        r = self.release
        return {"release_id": r.id, "recipient": r.recipient, "dataset": r.dataset, "released_as": r.released_as,
                "status": r.status, "purpose": r.purpose, "created_at": r.created_at.isoformat(),
                "key_id": r.key_id, "named": self.named, "marks_checked": self.marks,
                "positions": self.positions, "matches": self.matches, "agreeing_marks": self.agreeing_marks,
                "p_value": 10.0 ** self.log10_p, "log10_p_value": round(self.log10_p, 3),
                "bound": self.bound, "log10_bound": round(self.log10_bound, 3)}


@dataclass(frozen=True)
class Evaluation:
    """One scheme's reading of a fragment: which columns matched, the votes, every release's score."""

    record: SchemeRecord
    matches: tuple[ColumnMatch, ...]
    votes: Votes | None
    scores: Scores | None
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"scheme": self.record.scheme.id, "key_id": self.record.scheme.key_id,
                "datasets": sorted({r.dataset for r in self.record.releases}),
                "releases": len(self.record.releases), "skipped": self.skipped,
                "columns": [{"fragment": m.fragment, "released": m.released, "how": m.how, "score": m.score}
                            for m in self.matches],
                "marks_checked": self.votes.marks if self.votes else 0,
                "positions": self.scores.positions if self.scores else 0}


def evaluate(fragment: pa.Table, record: SchemeRecord, secret: bytes,
             words: npt.NDArray[np.uint8] | None = None) -> Evaluation:
    """Match the fragment's columns to the scheme's and score every release made under it
    (``words``: the releases' codewords, when the caller keeps them)."""
    scheme = record.scheme
    matched = tuple(map_columns(fragment, record.profile, scheme.columns))
    targets = [m for m in matched if scheme.target(m.released) is not None]
    if not targets:
        return Evaluation(record, matched, None, None,
                          "no column matches a marked column (" + ", ".join(t.column for t in scheme.targets) + ")")
    votes = read_votes(renamed(fragment, matched), scheme, secret)
    if words is None:
        words = codewords(secret, [r.id for r in record.releases], scheme.code_length)
    return Evaluation(record, matched, votes, score(votes, words))


@dataclass(frozen=True)
class TraceReport:
    file: str
    sha256: str
    rows: int
    columns: tuple[str, ...]
    dataset: str | None
    checked: int  # releases scored (the Bonferroni factor)
    evaluations: tuple[Evaluation, ...]
    candidates: tuple[Candidate, ...]  # ranked, strongest evidence first
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def named(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.named)

    @property
    def attributed(self) -> bool:
        return bool(self.named)

    @property
    def verdict(self) -> str:
        return "attributed" if self.attributed else "no attribution"

    def to_json(self, top: int = 10) -> dict[str, Any]:
        shown = list(self.named) + [c for c in self.candidates if not c.named][: max(0, top - len(self.named))]
        return {"file": self.file, "sha256": self.sha256, "rows": self.rows, "columns": list(self.columns),
                "dataset": self.named[0].release.dataset if self.named else self.dataset,
                "verdict": self.verdict, "attributed": self.attributed, "threshold": ATTRIBUTION_BOUND,
                "releases_checked": self.checked, "schemes": [e.to_json() for e in self.evaluations],
                "candidates": [c.to_json() for c in shown], "notes": list(self.notes),
                "method": "majority vote per codeword position; p = P(Bin(n, 1/2) >= matches); "
                          "bound = p x releases checked (Bonferroni)"}

    def to_text(self, top: int = 5) -> str:
        lines = [f"trace of {self.file}: {self.rows:,} rows, {len(self.columns)} columns ({self.sha256[:19]}…)",
                 f"checked {self.checked} release(s) against {len(self.evaluations)} watermark scheme(s)"]
        for e in self.evaluations:
            datasets = ", ".join(sorted({r.dataset for r in e.record.releases}))
            if e.skipped:
                lines.append(f"  {datasets}: not checked — {e.skipped}")
                continue
            columns = ", ".join(m.fragment if m.fragment == m.released else f"{m.fragment}→{m.released} ({m.how})"
                                for m in e.matches)
            lines.append(f"  {datasets}: columns {columns}; {e.votes.marks if e.votes else 0} marks read at "
                         f"{e.scores.positions if e.scores else 0} codeword positions")
        if self.attributed:
            for c in self.named:
                r = c.release
                lines.append(f"ATTRIBUTED to release {r.id} → recipient {r.recipient} ({r.dataset}, released as "
                             f"{r.released_as or '?'}, {r.status}, {r.created_at:%Y-%m-%d})")
                lines.append(f"  {c.matches} of {c.positions} positions match its codeword "
                             f"({c.agreeing_marks} of {c.marks} marks); false attribution ≤ {_sci(c.log10_bound)} "
                             f"(binomial tail {_sci(c.log10_p)} × {self.checked} releases)")
        else:
            lines.append(f"NO ATTRIBUTION: no release's bound on false attribution is ≤ {ATTRIBUTION_BOUND:g}")
        others = [c for c in self.candidates if not c.named][:top]
        if others:
            lines.append("next candidates: " + "; ".join(
                f"{c.release.recipient} ({c.release.id[:8]}) {c.matches}/{c.positions}, bound {_sci(c.log10_bound)}"
                for c in others))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def _sci(log10_value: float) -> str:
    if log10_value >= -3:
        return f"{10.0 ** log10_value:.3g}"
    exponent = math.floor(log10_value)
    return f"{10.0 ** (log10_value - exponent):.1f}e{exponent}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def read_fragment(path: Path) -> pa.Table:
    batches = list(reader_for(path).batches(path))
    table = pa.Table.from_batches(batches) if batches else None
    if table is None or table.num_rows == 0:
        raise InputError("no rows to trace", path=str(path))
    seen: set[str] = set()
    for name in table.column_names:
        if name in seen:
            raise InputError("the column name appears twice", path=str(path), field=name)
        seen.add(name)
    return table


def rank(evaluations: Sequence[Evaluation]) -> tuple[int, list[Candidate]]:
    """Every scored release with its Bonferroni bound over all releases scored, strongest first."""
    checked = sum(len(e.record.releases) for e in evaluations if e.scores is not None)
    factor = math.log10(max(checked, 1))
    out = []
    for e in evaluations:
        if e.scores is None or e.votes is None:
            continue
        for i, release in enumerate(e.record.releases):
            log10_p = float(e.scores.log10_p[i])
            out.append(Candidate(release, e.votes.marks, e.scores.positions, int(e.scores.matches[i]),
                                 int(e.scores.agreeing_marks[i]), log10_p, min(0.0, log10_p + factor)))
    out.sort(key=lambda c: (c.log10_bound, -c.matches))
    return checked, out


def trace(ws: Workspace, path: Path | str, dataset: str | None = None) -> TraceReport:
    """Trace ``path`` (CSV, Parquet, JSON Lines) against this tenant's releases; audited as ``release.trace``."""
    path = Path(path)
    try:
        report = _trace(ws, path, dataset)
    except InputError as exc:
        ws.record("release.trace", str(path), outcome="failure", details={"error": exc.diagnostics()})
        raise
    ws.record("release.trace", str(path), digest=report.sha256, details={
        "verdict": report.verdict, "releases_checked": report.checked,
        "named": [{"release": c.release.id, "recipient": c.release.recipient, "log10_bound": round(c.log10_bound, 3)}
                  for c in report.named]})
    return report


def _trace(ws: Workspace, path: Path, dataset: str | None) -> TraceReport:
    fragment = read_fragment(path)
    records = schemes_with_releases(ws, dataset)
    if not records:
        where = f"of dataset {dataset!r}" if dataset else f"in this workspace (tenant {ws.settings.tenant})"
        raise NotFoundError(f"no releases {where} to trace against", field="dataset" if dataset else None)
    available = keys.available_keys(ws.settings.keys_dir)
    evaluations, missing_keys = [], []
    for record in records:
        key = available.get(record.scheme.key_id)
        if key is None:
            missing_keys.append(record)
            continue
        evaluations.append(evaluate(fragment, record, key.secret))
    notes = [f"{len(r.releases)} release(s) of {', '.join(sorted({x.dataset for x in r.releases}))} were marked "
             f"with watermark key {r.scheme.key_id}, which this workspace no longer holds: not checked"
             for r in missing_keys]
    if not any(e.scores is not None for e in evaluations):
        if evaluations:
            raise InputError("no column matches a released dataset's marked columns (the file has: "
                             f"{', '.join(fragment.column_names)})", path=str(path))
        keys_named = ", ".join(sorted({r.scheme.key_id for r in missing_keys}))
        raise InputError(f"cannot trace: every candidate release was marked with a watermark key this workspace no "
                         f"longer holds ({keys_named}; destroyed or replaced), so nobody can be named", path=str(path))
    checked, candidates = rank(evaluations)
    for c in candidates:
        if c.named and available[c.release.key_id].retired:
            notes.append(f"release {c.release.id} was marked under the retired watermark key {c.release.key_id}")
        if c.named and c.release.status != "active":
            notes.append(f"release {c.release.id} is {c.release.status}")
    read = [e for e in evaluations if e.votes is not None]
    if candidates and not candidates[0].named and all(e.votes is not None and e.votes.marks < 40 for e in read):
        notes.append("too few marks in the fragment to name anyone with confidence; a larger fragment may")
    return TraceReport(str(path), file_sha256(path), fragment.num_rows, tuple(fragment.column_names), dataset,
                       checked, tuple(evaluations), tuple(candidates), tuple(notes))


__all__ = ["ATTRIBUTION_BOUND", "Candidate", "Evaluation", "TraceReport", "evaluate", "rank", "trace"]
