"""Bearer tokens for the HTTP server: created once (shown once), stored only as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..errors import NotFoundError
from ..store.tables import ApiTokenRow

if TYPE_CHECKING:
    from ..workspace import Workspace

PREFIX = "sgt_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(ws: Workspace, name: str) -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    with ws.session() as session, session.begin():
        session.add(ApiTokenRow(name=name, tenant=ws.settings.tenant, token_sha256=_hash(token),
                                created_at=datetime.now(UTC), created_by=ws.settings.actor))
        ws.audit.append_in(session, [ws.draft("token.create", name)])
    return token


def revoke_token(ws: Workspace, name: str) -> None:
    with ws.session() as session, session.begin():
        rows = session.scalars(select(ApiTokenRow).where(ApiTokenRow.name == name,
                                                         ApiTokenRow.revoked_at.is_(None))).all()
        if not rows:
            raise NotFoundError(f"no active token named {name!r}", field="name")
        for row in rows:
            row.revoked_at = datetime.now(UTC)
        ws.audit.append_in(session, [ws.draft("token.revoke", name)])


def token_owner(ws: Workspace, token: str) -> str | None:
    """The token's name when it is valid and not revoked; ``None`` otherwise."""
    with ws.session() as session:
        row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == _hash(token),
                                                        ApiTokenRow.revoked_at.is_(None))).first()
        return None if row is None else f"token:{row.name}"
