"""Incident settings from the ``[incidents]`` table of the workspace config file.

    [incidents]
    timezone = "Europe/Berlin"        # deadlines are stored in UTC and shown in this zone (default UTC)
    art34_assessment_hours = 72       # GDPR Art. 34 says "without undue delay"; this is our policy for it
    playbook = "playbook.toml"        # optional: replaces the default playbook (relative to the home)

    [incidents.clocks]                # contractual notification clocks, started with every incident
    "acme-dpa" = 24                   # hours from detection
    "globex-msa" = { hours = 48, recipients = ["globex"], basis = "MSA §9.2" }   # only for these recipients
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import read_known_table
from ..errors import WorkspaceError

_KEYS = {"timezone", "art34_assessment_hours", "playbook", "clocks"}


@dataclass(frozen=True)
class ContractClock:
    """A contractual clock: ``hours`` from detection; ``recipients`` empty means every incident."""

    name: str
    hours: float
    basis: str
    recipients: tuple[str, ...] = ()

    def applies_to(self, recipients: list[str]) -> bool:
        return not self.recipients or any(r in self.recipients for r in recipients)


@dataclass(frozen=True)
class IncidentConfig:
    timezone: str = "UTC"
    art34_assessment_hours: float = 72.0
    playbook: Path | None = None
    contract_clocks: tuple[ContractClock, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def load(cls, config_path: Path) -> IncidentConfig:
        table = read_known_table(config_path, "incidents", _KEYS)
        where = str(config_path)
        timezone = table.get("timezone", "UTC")
        if not isinstance(timezone, str):
            raise WorkspaceError("[incidents] timezone must be a string such as \"Europe/Berlin\"", path=where)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise WorkspaceError(f"[incidents] timezone {timezone!r} is not an IANA time zone", path=where) from exc
        art34 = _hours(table.get("art34_assessment_hours", 72), "art34_assessment_hours", where)
        playbook = table.get("playbook")
        if playbook is not None and not isinstance(playbook, str):
            raise WorkspaceError("[incidents] playbook must be a file name", path=where)
        return cls(timezone=timezone, art34_assessment_hours=art34,
                   playbook=(config_path.parent / playbook) if playbook else None,
                   contract_clocks=_contract_clocks(table.get("clocks", {}), where))


def _hours(value: object, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 365:
        raise WorkspaceError(f"[incidents] {key} must be a positive number of hours", path=where)
    return float(value)


def _contract_clocks(table: object, where: str) -> tuple[ContractClock, ...]:
    if not isinstance(table, dict):
        raise WorkspaceError("[incidents.clocks] must be a table of name = hours", path=where)
    clocks = []
    for name, value in sorted(table.items()):
        key = f"clocks.{name}"
        if isinstance(value, dict):
            unknown = set(value) - {"hours", "basis", "recipients"}
            if unknown:
                raise WorkspaceError(f"[incidents] {key}: unknown keys {', '.join(sorted(unknown))}", path=where)
            recipients = value.get("recipients", [])
            if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
                raise WorkspaceError(f"[incidents] {key}.recipients must be a list of strings", path=where)
            basis = value.get("basis", f"contract {name}")
            clocks.append(ContractClock(name, _hours(value.get("hours"), f"{key}.hours", where), str(basis),
                                        tuple(recipients)))
        else:
            clocks.append(ContractClock(name, _hours(value, key, where), f"contract {name}"))
    return tuple(clocks)
