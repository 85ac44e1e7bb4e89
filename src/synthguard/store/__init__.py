"""The relational store: SQLAlchemy 2 tables, engine set-up and Alembic migrations.

SQLite (WAL, synchronous=FULL) is the embedded default; PostgreSQL is used when
``SYNTHGUARD_DATABASE_URL`` points at it. Both run the same migrations.
"""

from .engine import connect, migrate, schema_status
from .tables import Base

__all__ = ["Base", "connect", "migrate", "schema_status"]
