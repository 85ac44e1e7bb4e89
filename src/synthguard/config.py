"""Settings: where the workspace lives, which database it uses, who is acting.

Resolution order for each value: explicit argument, environment variable, default.
``SYNTHGUARD_HOME`` (default ``./.synthguard``), ``SYNTHGUARD_DATABASE_URL`` (default SQLite in the
home), ``SYNTHGUARD_ACTOR`` (default the OS user), ``SYNTHGUARD_TENANT`` (default ``default``).
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .atomicfile import write_atomic
from .errors import WorkspaceError

CONFIG_FILE = "config.toml"
DATABASE_FILE = "synthguard.db"
KEYS_DIR = "keys"


@dataclass(frozen=True)
class Settings:
    """Where the workspace is and how to reach its store."""

    home: Path
    database_url: str
    actor: str
    tenant: str

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE

    @property
    def keys_dir(self) -> Path:
        return self.home / KEYS_DIR

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


def resolve(home: str | Path | None = None, database_url: str | None = None,
            actor: str | None = None, tenant: str | None = None) -> Settings:
    """Build the settings from explicit arguments, the environment and defaults."""
    home_path = Path(home or os.environ.get("SYNTHGUARD_HOME") or ".synthguard").absolute()
    file_values = read_config_file(home_path / CONFIG_FILE)
    url = (database_url or os.environ.get("SYNTHGUARD_DATABASE_URL")
           or file_values.get("database_url") or f"sqlite:///{home_path / DATABASE_FILE}")
    return Settings(
        home=home_path,
        database_url=str(url),
        actor=actor or os.environ.get("SYNTHGUARD_ACTOR") or _default_actor(),
        tenant=tenant or os.environ.get("SYNTHGUARD_TENANT") or str(file_values.get("tenant", "default")),
    )


def read_config_file(path: Path, section: str = "workspace") -> dict[str, object]:
    """One table (default ``[workspace]``) of the config file, or ``{}`` when there is none."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"config file is not valid TOML: {exc}", path=str(path)) from exc
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise WorkspaceError(f"[{section}] must be a table", path=str(path))
    return table


def read_known_table(path: Path, section: str, known: Iterable[str]) -> dict[str, object]:
    """Like ``read_config_file``, but a key outside ``known`` is an error (a typo would otherwise
    silently leave a policy unset)."""
    table = read_config_file(path, section)
    unknown = set(table) - set(known)
    if unknown:
        raise WorkspaceError(f"unknown [{section}] keys: {', '.join(sorted(unknown))}", path=str(path))
    return table


def write_config_file(path: Path, values: dict[str, str]) -> None:
    """Rewrite the ``[workspace]`` table atomically (values are plain strings); other tables
    (``[gate]`` …), which people edit by hand, are kept as they are."""
    lines = ["# SynthGuard workspace configuration", "[workspace]"]
    lines += [f"{key} = {_toml_string(value)}" for key, value in sorted(values.items())]
    write_atomic(path, "\n".join(lines) + "\n" + _other_tables(path))


def _other_tables(path: Path) -> str:
    """The text of the config file from its first table header other than ``[workspace]``."""
    if not path.exists():
        return ""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip().startswith("[") and line.strip() != "[workspace]":
            return "\n" + "".join(lines[index:])
    return ""


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
