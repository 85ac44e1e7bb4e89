"""Shared fixtures: a fresh workspace per test on SQLite, or on PostgreSQL when
SYNTHGUARD_TEST_DATABASE_URL names a server (``make test`` runs the suite both ways)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

import synthguard as sg
from synthguard import config
from synthguard.workspace import Workspace

PG_URL = os.environ.get("SYNTHGUARD_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database no other test uses: a SQLite file, or a new PostgreSQL database."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'synthguard.db'}"
        return
    name = f"sgtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> config.Settings:
    return config.resolve(home=tmp_path / "home", database_url=database_url, actor="tester@shop.example",
                          tenant="default")


@pytest.fixture
def ws(settings: config.Settings) -> Iterator[Workspace]:
    workspace = sg.init(settings)
    yield workspace
    workspace.close()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: config.Settings) -> config.Settings:
    """Point the CLI (run in-process by ``run_cli``) at this test's workspace."""
    monkeypatch.setenv("SYNTHGUARD_HOME", str(settings.home))
    monkeypatch.setenv("SYNTHGUARD_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SYNTHGUARD_ACTOR", settings.actor)
    return settings
