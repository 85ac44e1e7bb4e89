"""Engine creation and schema migration (Alembic, run programmatically; no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from ..errors import WorkspaceError

_MIGRATIONS = Path(__file__).parent / "migrations"


def connect(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, full fsync on commit, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's implicit BEGIN is deferred; we issue BEGIN IMMEDIATE ourselves so a
        # writer takes the lock up front instead of failing on upgrade.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=80)
    except (SQLAlchemyError, ImportError) as exc:
        raise WorkspaceError(f"cannot use database URL: {exc}") from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we drive transactions (see the "begin" listener)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # WAL + NORMAL may lose the last commits on power loss
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def schema_status(engine: Engine) -> tuple[frozenset[str], frozenset[str]]:
    """``(current revisions, head revisions)``; raises when the database is from a newer release.

    Sets, because capability packages may add migrations on parallel branches (merged later).
    """
    script = ScriptDirectory.from_config(_alembic_config(engine))
    heads = frozenset(script.get_heads())
    try:
        with engine.connect() as conn:
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        raise WorkspaceError(f"cannot open the store: {exc.__class__.__name__}: {exc}") from exc
    unknown = current - {rev.revision for rev in script.walk_revisions()}
    if unknown:
        raise WorkspaceError(
            f"the store has schema revision {', '.join(sorted(unknown))}, newer than this SynthGuard knows "
            f"({', '.join(sorted(heads))}); upgrade SynthGuard")
    return current, heads


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision(s), refusing databases from a newer release."""
    current, heads = schema_status(engine)
    if current != heads:
        command.upgrade(_alembic_config(engine), "heads")
