"""SynthGuard: govern synthetic data — catalogue, sign, verify and audit synthetic datasets.

The public surface is small::

    import synthguard as sg
    ws = sg.open()                       # or sg.init() for a new workspace
    v = ws.register(["exports/customers/"], name="customers", generator="ctgan 0.10.1",
                    source="orders_2025 (real, EU)", purpose="fraud-model training",
                    owner="ana@shop.example").version
    ws.verify(["exports/customers/"])   # -> Verification (.ok, .reason)
    ws.audit.verify()                    # -> AuditVerification
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import config
from .catalog.attestation import Verification
from .errors import (
    InputError,
    NotFoundError,
    SignatureError,
    SynthGuardError,
    VerificationError,
    WorkspaceError,
)
from .workspace import Workspace

__version__ = "0.1.0"


def _settings(home: str | Path | config.Settings | None, database_url: str | None) -> config.Settings:
    return home if isinstance(home, config.Settings) else config.resolve(home=home, database_url=database_url)


def init(home: str | Path | config.Settings | None = None, database_url: str | None = None) -> Workspace:
    """Create (or migrate) a workspace and open it."""
    return Workspace.init(_settings(home, database_url))


def open(home: str | Path | config.Settings | None = None, database_url: str | None = None) -> Workspace:
    """Open an existing workspace (``SYNTHGUARD_HOME`` / ``SYNTHGUARD_DATABASE_URL`` by default)."""
    return Workspace.open(_settings(home, database_url))


def scan_paths(paths: list[str | Path], **kwargs: Any) -> Any:
    """Scan IaC and exported Azure configuration (no workspace needed; see ``synthguard.scan``).

    Named ``scan_paths`` rather than DESIGN.md's ``sg.scan``: a function called ``scan`` would be
    replaced by the ``synthguard.scan`` subpackage as soon as that is imported.
    """
    from .scan import scan_paths as run

    return run(paths, **kwargs)


__all__ = [
    "InputError",
    "NotFoundError",
    "SignatureError",
    "SynthGuardError",
    "Verification",
    "VerificationError",
    "Workspace",
    "WorkspaceError",
    "init",
    "open",
    "scan_paths",
]
