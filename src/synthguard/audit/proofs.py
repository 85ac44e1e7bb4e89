"""Inclusion and consistency proofs a third party can check with RFC 9162 §2.1.3.2 / §2.1.4.2
(the algorithm is in docs/audit.md), each with the signed checkpoint(s) they refer to."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..store.tables import AuditEntryRow, CheckpointRow
from . import merkle
from .entry import canonical_bytes, event_from_row


def _leaves(session: Session, size: int) -> list[bytes]:
    rows = session.scalars(select(AuditEntryRow.leaf_hash).where(AuditEntryRow.seq < size)
                           .order_by(AuditEntryRow.seq))
    return [bytes.fromhex(h) for h in rows]


def _checkpoint(session: Session, checkpoint_id: int | None) -> CheckpointRow:
    query = select(CheckpointRow)
    query = (query.where(CheckpointRow.id == checkpoint_id) if checkpoint_id is not None
             else query.order_by(CheckpointRow.id.desc()).limit(1))
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"no checkpoint {checkpoint_id if checkpoint_id is not None else ''}".strip(),
                            field="checkpoint")
    return row


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode("ascii") for v in values]


def inclusion(engine: Engine, seq: int, checkpoint_id: int | None = None) -> dict[str, Any]:
    """Proof that entry ``seq`` is in the tree of a checkpoint (default: the latest)."""
    with Session(engine) as session:
        cp = _checkpoint(session, checkpoint_id)
        row = session.get(AuditEntryRow, seq)
        if row is None or seq >= cp.size:
            raise NotFoundError(f"entry {seq} is not covered by checkpoint {cp.id} (size {cp.size})",
                                field="entry")
        entry = canonical_bytes(event_from_row(row))
        proof = merkle.inclusion_proof(_leaves(session, cp.size), seq, cp.size)
        return {"type": "inclusion", "entry": entry.decode("utf-8"), "index": seq, "tree_size": cp.size,
                "leaf_hash": base64.b64encode(merkle.leaf_hash(entry)).decode("ascii"),
                "proof": _b64(proof), "checkpoint_id": cp.id, "checkpoint": cp.note}


def consistency(engine: Engine, old_id: int, new_id: int | None = None) -> dict[str, Any]:
    """Proof that checkpoint ``new_id`` (default: the latest) extends checkpoint ``old_id``."""
    with Session(engine) as session:
        old, new = _checkpoint(session, old_id), _checkpoint(session, new_id)
        if old.size > new.size:
            old, new = new, old
        proof = merkle.consistency_proof(_leaves(session, new.size), old.size, new.size)
        return {"type": "consistency", "old_size": old.size, "new_size": new.size, "proof": _b64(proof),
                "old_checkpoint": old.note, "new_checkpoint": new.note}
