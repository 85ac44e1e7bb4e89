"""The watermark scheme: which cells carry marks, at which codeword position, for which recipient.

In the family of Agrawal–Kiernan watermarking (keyed selection of cells and bits from a primary key) and
Li–Swarup–Jajodia fingerprinting (per-recipient bit strings, virtual primary keys, majority vote):

* **Anchors** (a virtual primary key per column, robust to dropping columns): every *source* column gives
  each row a keyed hash ``a_s = SipHash(K_s, digest(cell))`` — the canonical fp-v1 value of a stable
  column (an id, an e-mail, a timestamp), or the part of a marked cell its mark never changes (a numeric
  cell's coarse quantisation cell). ``K_s`` = HMAC-SHA256(workspace secret, source).
* **Selection**: a target cell ``(row, t)`` is marked by the first of ``t``'s sources (in priority order)
  whose pair hash ``h = mix(a_s ⊕ salt_{s,t})`` has its low 16 bits under 2¹⁶/γ, i.e. about one cell in γ
  per pair. ``h`` also gives the codeword position ``j`` (16 bits), a mask bit and a tie-break.
* **Codewords**: each release has ``L`` pseudo-random bits from HMAC-SHA256(secret, release id); the cell
  carries ``codeword[j] ⊕ mask``. Detection reads every selected cell, votes per position (majority), and
  scores each release by matched positions: for any release that did *not* produce the fragment, each
  decided position matches with probability ½ independently, so the binomial tail bounds its false
  attribution exactly (Bonferroni over the releases checked).

Selection depends on the secret and the table, never on the recipient: one ``select_cells`` serves every
release of a table, and every release's codeword can be scored against one set of votes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..errors import InputError
from ..fingerprint.fpv1 import ColumnSet, fingerprint
from . import _kernels
from .methods import MarkMethod, method_from

FORMAT = "synthguard-wm/v1"
VIA_VALUE = "value"  # the cell's canonical value (fp-v1): an unmarked stable column
VIA_MARK = "mark"  # the invariant part of a marked cell (its mark method says which)


@dataclass(frozen=True)
class Source:
    column: str
    via: str


@dataclass(frozen=True)
class Target:
    column: str
    method: str
    params: Mapping[str, Any] = field(hash=False)
    sources: tuple[int, ...]  # indexes into Scheme.sources, in priority order

    def mark(self) -> MarkMethod:
        return method_from(self.method, dict(self.params))


@dataclass(frozen=True)
class Scheme:
    """Everything detection needs besides the secret and the codewords (stored with each release)."""

    key_id: str
    fraction: int
    code_length: int
    sources: tuple[Source, ...]
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.fraction <= 65536:
            raise InputError(f"fraction γ must be between 1 and 65536, got {self.fraction}", field="fraction")
        if not 64 <= self.code_length <= 65536:
            raise InputError(f"code length must be between 64 and 65536, got {self.code_length}",
                             field="code_length")

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "key_id": self.key_id, "fraction": self.fraction,
                "code_length": self.code_length,
                "sources": [{"column": s.column, "via": s.via} for s in self.sources],
                "targets": [{"column": t.column, "method": t.method, "params": dict(t.params),
                             "sources": list(t.sources)} for t in self.targets]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scheme:
        if data.get("format") != FORMAT:
            raise InputError(f"unknown watermark scheme format {data.get('format')!r}")
        return cls(str(data["key_id"]), int(data["fraction"]), int(data["code_length"]),
                   tuple(Source(str(s["column"]), str(s["via"])) for s in data["sources"]),
                   tuple(Target(str(t["column"]), str(t["method"]), dict(t["params"]),
                                tuple(int(i) for i in t["sources"])) for t in data["targets"]))

    @property
    def id(self) -> str:
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return "wms-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    @property
    def columns(self) -> tuple[str, ...]:
        names = [s.column for s in self.sources] + [t.column for t in self.targets]
        return tuple(dict.fromkeys(names))

    def target(self, column: str) -> Target | None:
        return next((t for t in self.targets if t.column == column), None)


# ---- keyed derivations ------------------------------------------------------------------------------


def _hmac(secret: bytes, label: str, *parts: Any) -> bytes:
    message = f"{FORMAT}/{label}\0".encode() + json.dumps(parts, sort_keys=True).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).digest()


def source_key(secret: bytes, scheme: Scheme, source: Source) -> tuple[int, int]:
    target = scheme.target(source.column) if source.via == VIA_MARK else None
    params = [target.method, dict(target.params)] if target is not None else None
    digest = _hmac(secret, "source", source.column, source.via, params)
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little")


def pair_salt(secret: bytes, source: Source, target: Target) -> int:
    return int.from_bytes(_hmac(secret, "pair", source.column, source.via, target.column)[:8], "little")


def codeword(secret: bytes, release_id: str, length: int) -> npt.NDArray[np.uint8]:
    """The release's ``length`` pseudo-random bits: HMAC-SHA256(secret, release id ‖ block) expanded."""
    blocks = b"".join(_hmac(secret, "codeword", release_id, i) for i in range((length + 255) // 256))
    return np.unpackbits(np.frombuffer(blocks, dtype=np.uint8))[:length].copy()


def codewords(secret: bytes, release_ids: Sequence[str], length: int) -> npt.NDArray[np.uint8]:
    out = np.empty((len(release_ids), length), dtype=np.uint8)
    for row, release_id in enumerate(release_ids):
        out[row] = codeword(secret, release_id, length)
    return out


# ---- cell selection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    """The selected cells of one target column: rows, codeword positions, mask bits and tie-breaks."""

    rows: npt.NDArray[np.int64]
    positions: npt.NDArray[np.int64]
    masks: npt.NDArray[np.uint8]
    choice: npt.NDArray[np.uint64]


def _digests(table: pa.Table, scheme: Scheme, source: Source, threads: int = 1
             ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    chunks = table.column(source.column)
    column = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()
    if source.via == VIA_MARK:
        target = scheme.target(source.column)
        invariant = target.mark().invariant(column) if target is not None else None
        if invariant is None:
            raise InputError(f"column {source.column!r} cannot anchor marks", field=source.column)
        return invariant
    digests = fingerprint(pa.table({source.column: column}), ColumnSet((source.column,), {}), threads=threads)
    if not column.null_count:
        return digests, np.ones(len(column), dtype=bool)
    return digests, ~np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def select_cells(table: pa.Table, scheme: Scheme, secret: bytes) -> dict[str, Cells]:
    """The selected cells of every target column present in ``table`` (columns under their scheme
    names), anchored by whichever sources are present."""
    present = set(table.column_names)
    sources = [i for i, s in enumerate(scheme.sources) if s.column in present]
    slot = {i: n for n, i in enumerate(sources)}  # scheme source index -> position among present sources
    # One task per source column (fp-v1 of ids and e-mails dominates), run side by side.
    found = _kernels.each(lambda i: _digests(table, scheme, scheme.sources[i]), sources, table.num_rows)
    digests = [values for values, _ in found]
    valid = [ok for _, ok in found]
    keys = [source_key(secret, scheme, scheme.sources[i]) for i in sources]
    targets = [t for t in scheme.targets if t.column in present]
    width = max([len(t.sources) for t in targets] + [1])
    order = np.full((len(targets), width), -1, dtype=np.int64)
    salts = np.zeros((len(targets), width), dtype=np.uint64)
    for row, target in enumerate(targets):
        usable = [i for i in target.sources if i in slot]
        order[row, :len(usable)] = [slot[i] for i in usable]
        salts[row, :len(usable)] = [pair_salt(secret, scheme.sources[i], target) for i in usable]
    if not digests:  # no anchor column present: nothing can be selected
        digests, valid, keys = [np.zeros(table.num_rows, np.uint64)], [np.zeros(table.num_rows, bool)], [(0, 0)]
    selected = _kernels.anchor_select(digests, valid, keys, order, salts, scheme.fraction)
    out: dict[str, Cells] = {}
    for target, (picked, hashes) in zip(targets, selected, strict=True):
        positions, masks, choice = _kernels.split_hashes(hashes, scheme.code_length)
        out[target.column] = Cells(picked, positions, masks, choice)
    return out
