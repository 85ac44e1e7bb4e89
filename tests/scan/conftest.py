"""Scan test fixtures: a real Azurite (the Azure Storage emulator) for the live-storage tests.

``scripts/azurite.sh`` installs Azurite with npm on first use and starts it on a free localhost
port. Without node / npm the tests skip locally; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The blob connection string of a throw-away Azurite, stopped at the end of the session."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    installed = (ROOT / ".cache/azurite/node_modules/.bin/azurite-blob").exists()
    if not installed and not (shutil.which("node") and shutil.which("npm")):
        if in_ci:
            pytest.fail("Azurite needs node and npm, and CI=true makes the live-storage tests mandatory")
        pytest.skip("node / npm not installed: Azurite live-storage tests skipped")
    if not in_ci:  # under CI the [test] extra installs azure-storage-blob; a missing one must fail
        pytest.importorskip("azure.storage.blob")
    workdir = tmp_path_factory.mktemp("azurite")
    script = str(ROOT / "scripts/azurite.sh")
    proc = subprocess.run([script, "start", str(workdir)], capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        message = f"Azurite did not start: {proc.stderr.strip()[-500:]}"
        if in_ci:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield proc.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop", str(workdir)], capture_output=True, timeout=60, check=False)
