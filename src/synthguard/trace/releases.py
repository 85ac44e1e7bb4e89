"""The incident side of the ``releases`` table (owned by ``synthguard.watermark``): look releases up and retire them.

The table arrives on a parallel migration branch, so it is reached by SQLAlchemy Core reflection
(only the columns named here are used) and everything degrades to "not available" when it is absent;
the playbook then keeps retiring releases as a manual step that needs evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Table, inspect, select, update
from sqlalchemy.orm import Session

from ..errors import NotFoundError

TABLE = "releases"
_NEEDED = {"id", "tenant", "status"}


@dataclass(frozen=True)
class ReleaseInfo:
    id: str
    recipient: str | None
    version_id: str | None
    status: str


def releases_table(session: Session) -> Table | None:
    """The reflected table when it exists with the columns we rely on, else None."""
    bind = session.connection()
    if not inspect(bind).has_table(TABLE):
        return None
    table = Table(TABLE, MetaData(), autoload_with=bind)
    return table if set(table.c.keys()) >= _NEEDED else None


def find_releases(session: Session, tenant: str, ids: list[str]) -> list[ReleaseInfo] | None:
    """The releases ``ids`` of ``tenant`` in the given order; None when there is no releases table.

    An id that is unknown, or belongs to another tenant, is a NotFoundError naming it.
    """
    table = releases_table(session)
    if table is None:
        return None
    if not ids:
        return []
    rows = {str(r["id"]): r for r in session.execute(select(table).where(
        table.c.tenant == tenant, table.c.id.in_(_keys(table, ids)))).mappings()}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFoundError(f"unknown release {', '.join(map(repr, missing))}", field="release")
    return [_info(rows[i]) for i in ids]


def retire_releases(session: Session, tenant: str, ids: list[str], now: datetime) -> dict[str, list[str]] | None:
    """Mark the releases retired within the caller's transaction; None when there is no releases table.

    Returns ``{"retired": [...], "already_retired": [...]}`` so the step's evidence says what changed.
    """
    table = releases_table(session)
    found = find_releases(session, tenant, ids)
    if table is None or found is None:
        return None
    to_retire = [r.id for r in found if r.status != "retired"]
    if to_retire:
        values: dict[str, Any] = {"status": "retired"}
        if "retired_at" in table.c:
            values["retired_at"] = now
        session.execute(update(table).where(table.c.tenant == tenant, table.c.id.in_(_keys(table, to_retire)))
                        .values(**values))
    return {"retired": to_retire, "already_retired": [r.id for r in found if r.status == "retired"]}


def _keys(table: Table, ids: list[str]) -> list[Any]:
    """Ids as the key column's type: we speak strings, the owner's table may use integers."""
    try:
        integer = table.c.id.type.python_type is int
    except NotImplementedError:
        integer = False
    return [int(i) for i in ids if i.strip().isdigit()] if integer else list(ids)


def _info(row: Any) -> ReleaseInfo:
    def text(name: str) -> str | None:
        value = row.get(name)
        return None if value is None else str(value)

    return ReleaseInfo(id=str(row["id"]), recipient=text("recipient"), version_id=text("version_id"),
                       status=str(row["status"]))
