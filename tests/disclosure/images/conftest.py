"""Shared fixtures of the image tests: the real CLI on this test's workspace."""

from __future__ import annotations

import pytest

from synthguard.config import Settings
from synthguard.workspace import Workspace


@pytest.fixture
def cli(cli_env: Settings, ws: Workspace) -> Settings:
    """``synthguard`` run in-process against this test's workspace (``ws``)."""
    return cli_env
