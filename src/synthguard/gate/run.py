"""Stream a file through the gate: clean rows to ``--out``, synthetic rows to a quarantine with a
sidecar saying why, and the invariant rows in = clean + quarantined checked on every run.

Memory stays bounded by the batch size. Outputs appear atomically: the clean file is renamed into
place and the quarantine run directory is renamed from a hidden temporary name only when the
whole input has been read and the counts add up; on any error nothing is left under a real name.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError, SynthGuardError
from ..tabular import reader_for
from ..tabular.prefetch import prefetch
from ..tabular.writers import TableWriter
from .check import Gate, GateResult

POLICIES = ("block", "quarantine", "flag")
REASON_COLUMN = "_synthguard_reason"


@dataclass(frozen=True)
class GateOptions:
    policy: str = "quarantine"
    out: Path | None = None
    quarantine: Path | None = None
    batch_rows: int = 65_536

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InputError(f"unknown policy {self.policy!r}: one of {', '.join(POLICIES)}", field="policy")


@dataclass(frozen=True)
class GateRun:
    run_id: str
    input: str
    policy: str
    rows_in: int
    clean: int
    quarantined: int
    flagged: int
    by_detector: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    out: str | None = None
    quarantine: str | None = None

    @property
    def synthetic(self) -> int:
        return self.quarantined + self.flagged

    @property
    def blocked(self) -> bool:
        return self.policy == "block" and self.synthetic > 0

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "input": self.input, "policy": self.policy, "rows_in": self.rows_in,
                "clean": self.clean, "quarantined": self.quarantined, "flagged": self.flagged,
                "synthetic": self.synthetic, "blocked": self.blocked, "by_detector": self.by_detector,
                "versions": self.versions, "out": self.out, "quarantine": self.quarantine,
                "invariant": f"{self.rows_in} in = {self.clean} clean + {self.quarantined} quarantined"}


class _Quarantine:
    """Quarantined rows and their sidecar, in a hidden directory until ``commit``."""

    def __init__(self, root: Path, run_id: str, schema: pa.Schema, fmt: str) -> None:
        self.final = root / run_id
        self.tmp = root / f".{run_id}.synthguard-tmp"
        self.tmp.mkdir(parents=True)
        self.rows = TableWriter(self.tmp / f"rows.{fmt}", schema, fmt)
        self.sidecar = (self.tmp / "sidecar.jsonl").open("w", encoding="utf-8")

    def write(self, batch: pa.RecordBatch, result: GateResult, first_row: int) -> None:
        picked = np.flatnonzero(result.mask)
        self.rows.write(batch.take(pa.array(picked)))
        for row in picked.tolist():
            match = result.matches[row]
            self.sidecar.write(json.dumps({"row": first_row + row, "detector": match.detector,
                                           "version": match.version, "reason": match.reason}) + "\n")

    def commit(self, summary: dict[str, Any]) -> Path:
        self.rows.commit()
        self.sidecar.close()
        (self.tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        self.rows.abort()
        self.sidecar.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_gate(gate: Gate, source: Path, options: GateOptions, *, run_id: str | None = None) -> GateRun:
    reader = reader_for(source)
    metadata = _file_metadata(source)
    run_id = run_id or uuid.uuid4().hex[:12]
    counts = {"rows": 0, "clean": 0, "quarantined": 0, "flagged": 0}
    by_detector: dict[str, int] = {}
    versions: dict[str, int] = {}
    out: TableWriter | None = None
    quarantine: _Quarantine | None = None
    try:
        for batch in prefetch(reader.batches(source, options.batch_rows)):
            result = gate.check_batch(batch, metadata)
            if out is None and options.out is not None:
                out = TableWriter(options.out, _out_schema(batch.schema, options.policy))
            if quarantine is None and options.quarantine is not None and options.policy != "flag":
                quarantine = _Quarantine(options.quarantine, run_id, batch.schema, reader.format)
            _route(batch, result, options.policy, counts, out, quarantine)
            for name, n in result.by_detector().items():
                by_detector[name] = by_detector.get(name, 0) + n
            for ref, n in result.versions().items():
                versions[ref] = versions.get(ref, 0) + n
        run = GateRun(run_id, str(source), options.policy, counts["rows"], counts["clean"], counts["quarantined"],
                      counts["flagged"], by_detector, versions,
                      str(options.out) if out else None, None)
        if run.rows_in != run.clean + run.quarantined:
            raise SynthGuardError(f"gate invariant broken: {run.to_json()['invariant']}")
        if quarantine is not None:
            run = _with_quarantine(run, quarantine.commit(run.to_json()))
        if out is not None:
            out.commit()
        return run
    except BaseException:
        for sink in (out, quarantine):
            if sink is not None:
                sink.abort()
        raise


def _route(batch: pa.RecordBatch, result: GateResult, policy: str, counts: dict[str, int],
           out: TableWriter | None, quarantine: _Quarantine | None) -> None:
    counts["rows"] += batch.num_rows
    first_row = counts["rows"] - batch.num_rows + 1
    if policy == "flag":
        counts["clean"] += batch.num_rows
        counts["flagged"] += result.synthetic
        if out is not None:
            out.write(batch.append_column(REASON_COLUMN, pa.array(result.reasons(), pa.string())))
        return
    counts["clean"] += batch.num_rows - result.synthetic
    counts["quarantined"] += result.synthetic
    if out is not None:
        out.write(batch.filter(pa.array(~result.mask)))
    if quarantine is not None and result.synthetic:
        quarantine.write(batch, result, first_row)


def _out_schema(schema: pa.Schema, policy: str) -> pa.Schema:
    return schema.append(pa.field(REASON_COLUMN, pa.string())) if policy == "flag" else schema


def _file_metadata(source: Path) -> dict[bytes, bytes]:
    if reader_for(source).format != "parquet":
        return {}
    try:
        return dict(pq.read_schema(source).metadata or {})
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path=str(source)) from exc


def _with_quarantine(run: GateRun, path: Path) -> GateRun:
    return GateRun(**{**run.__dict__, "quarantine": str(path)})
