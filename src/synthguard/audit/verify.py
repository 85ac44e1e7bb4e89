"""Verify the whole audit log: recompute every leaf and the tree, check every checkpoint's
signature, root and consistency with the one before, and name the first bad entry.

Consistency: every checkpoint root is recomputed from one and the same sequence of leaves, which
proves each pair of checkpoints consistent (a stronger check than verifying RFC 9162 consistency
proofs, and linear instead of quadratic in the number of checkpoints). The proofs themselves are
served by ``proofs`` for third parties who hold checkpoints but not the entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..errors import SynthGuardError
from ..provenance.keys import Keyring
from ..store.tables import AuditEntryRow, AuditTreeRow, CheckpointRow
from . import checkpoint, merkle
from .entry import canonical_bytes, event_from_row


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    entries: int
    checkpoints: int
    reason: str
    first_bad_entry: int | None = None
    bad_checkpoint: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "checkpoints": self.checkpoints,
                "reason": self.reason, "first_bad_entry": self.first_bad_entry,
                "bad_checkpoint": self.bad_checkpoint}


class _Failure(Exception):
    def __init__(self, reason: str, entry: int | None = None, checkpoint_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.entry, self.checkpoint_id = reason, entry, checkpoint_id


def verifiers(keyring: Keyring, origin: str) -> list[tuple[str, Ed25519PublicKey]]:
    """Every trusted key, under the log's name (rotated keys keep verifying old checkpoints)."""
    return [(origin, Ed25519PublicKey.from_public_bytes(k)) for k in keyring.keys.values()]


def verify_log(engine: Engine, keyring: Keyring, origin: str) -> AuditVerification:
    with Session(engine) as session:
        checkpoints = list(session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)))
        try:
            leaves = _check_checkpoints(session, checkpoints, verifiers(keyring, origin), origin)
            _check_tree_state(session, leaves, checkpoints)
        except _Failure as failure:
            return AuditVerification(False, 0, len(checkpoints), failure.reason, failure.entry,
                                     failure.checkpoint_id)
    return AuditVerification(True, len(leaves), len(checkpoints),
                             f"{len(leaves)} entries and {len(checkpoints)} signed checkpoints verify")


def leaf_hashes(session: Session) -> Iterator[tuple[int, bytes]]:
    """``(seq, recomputed leaf hash)`` in order; a changed entry or a gap is a failure."""
    rows = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq).execution_options(yield_per=5000))
    for expected, row in enumerate(rows):
        if row.seq != expected:
            raise _Failure(f"entry {expected} is missing (next stored entry is {row.seq})", expected)
        leaf = merkle.leaf_hash(canonical_bytes(event_from_row(row)))
        if leaf.hex() != row.leaf_hash:
            raise _Failure(f"entry {row.seq} was modified (its content no longer hashes to its leaf)",
                           row.seq)
        yield row.seq, leaf


def _check_checkpoints(session: Session, checkpoints: list[CheckpointRow],
                       trusted: list[tuple[str, Ed25519PublicKey]], origin: str) -> list[bytes]:
    leaves: list[bytes] = []
    tree = merkle.CompactRange()
    pending = iter(leaf_hashes(session))
    previous: tuple[int, bytes] | None = None
    for cp_row in checkpoints:
        signed = _open(cp_row, trusted, origin)
        while tree.size < signed.size:
            item = next(pending, None)
            if item is None:
                raise _Failure(f"checkpoint {cp_row.id} covers {signed.size} entries but the log has "
                               f"{tree.size}", tree.size, cp_row.id)
            leaves.append(item[1])
            tree.append(item[1])
        if tree.root() != signed.root_hash:
            start = previous[0] if previous else 0
            raise _Failure(f"entries {start}..{signed.size - 1} do not match signed checkpoint {cp_row.id} "
                           f"(an entry in that range was altered)", start, cp_row.id)
        if previous is not None and signed.size < previous[0]:
            raise _Failure(f"checkpoint {cp_row.id} shrinks the log from {previous[0]} to {signed.size}",
                           None, cp_row.id)
        previous = (signed.size, signed.root_hash)
    for seq, _leaf in pending:
        raise _Failure(f"entry {seq} is not covered by any signed checkpoint", seq)
    return leaves


def _open(cp_row: CheckpointRow, trusted: list[tuple[str, Ed25519PublicKey]],
          origin: str) -> checkpoint.Checkpoint:
    try:
        signed = checkpoint.open_note(cp_row.note.encode("utf-8"), trusted, origin=origin)
    except SynthGuardError as exc:
        raise _Failure(f"checkpoint {cp_row.id}: {exc.message}", None, cp_row.id) from exc
    if signed.size != cp_row.size or signed.root_hash.hex() != cp_row.root_hash:
        raise _Failure(f"checkpoint {cp_row.id}: stored size / root differ from the signed note",
                       None, cp_row.id)
    return signed


def _check_tree_state(session: Session, leaves: list[bytes], checkpoints: list[CheckpointRow]) -> None:
    state = session.get(AuditTreeRow, 1)
    if state is None:
        if leaves:
            raise _Failure("the tree state row is missing")
        return
    frontier = merkle.CompactRange(state.size, [bytes.fromhex(h) for h in state.frontier])
    if state.size != len(leaves) or frontier.root() != merkle.root(leaves):
        raise _Failure("the stored tree state does not match the entries")
    if checkpoints and checkpoints[-1].size != len(leaves):
        raise _Failure(f"the latest checkpoint covers {checkpoints[-1].size} of {len(leaves)} entries")
