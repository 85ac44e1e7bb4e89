"""The migrations build exactly the schema ``store/tables.py`` declares (on SQLite and on PostgreSQL when
the suite runs there): a column added to a table without a migration, or the reverse, fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from synthguard.store.tables import Base
from synthguard.workspace import Workspace


def test_migrated_database_matches_the_declared_tables(ws: Workspace) -> None:
    with ws.session() as session:
        engine = session.get_bind()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
