"""Notification clocks: which deadlines an incident starts, and time arithmetic that survives DST.

Deadlines are absolute durations from the moment of becoming aware (GDPR Art. 33: "not later than
72 hours"), so they are computed in UTC and only shown in the workspace's zone: 72 h from 10:00 CET
on the Saturday before the spring change is 11:00 CEST on Tuesday, not 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import InputError
from .config import IncidentConfig

ART33 = "gdpr-art33"
ART34 = "gdpr-art34-assessment"
ART33_HOURS = 72.0  # fixed by the Regulation, not a setting


@dataclass(frozen=True)
class ClockSpec:
    """A deadline to start: ``name`` (``contract:<name>`` for contracts), due ``hours`` after detection."""

    name: str
    hours: float
    basis: str

    def due(self, detected_at: datetime) -> datetime:
        return as_utc(detected_at) + timedelta(hours=self.hours)


def clock_specs(config: IncidentConfig, recipients: list[str]) -> list[ClockSpec]:
    """The clocks every incident starts, plus the contractual clocks that apply to the ``recipients``."""
    specs = [
        ClockSpec(ART33, ART33_HOURS, "GDPR Art. 33(1): notify the supervisory authority without undue delay "
                                      "and, where feasible, not later than 72 hours after becoming aware"),
        ClockSpec(ART34, config.art34_assessment_hours,
                  "GDPR Art. 34: assess without undue delay whether the data subjects must be informed "
                  f"(workspace policy: {config.art34_assessment_hours:g} h)"),
    ]
    specs += [ClockSpec(f"contract:{c.name}", c.hours, f"{c.basis} ({c.hours:g} h)")
              for c in config.contract_clocks if c.applies_to(recipients)]
    return specs


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values (SQLite reads them back naive) were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_moment(text: str, zone: ZoneInfo, field: str) -> datetime:
    """An ISO 8601 time; without an offset it is wall time in ``zone``, which must name one instant."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{text!r} is not an ISO 8601 time (e.g. 2026-03-28T10:00 or 2026-03-28T09:00Z)",
                         field=field) from exc
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # fold decides: in a spring gap the wall time never happened, in an autumn overlap it happened twice.
        back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        problem = "does not exist (clocks skip it)" if back != moment else "is ambiguous (it happens twice)"
        raise InputError(f"{text} {problem} in {zone.key}; add a UTC offset, e.g. {text}+01:00", field=field)
    return first.astimezone(UTC)


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    return as_utc(moment).astimezone(zone)


def show_time(moment: datetime, zone: ZoneInfo) -> str:
    """``2026-03-31 11:00 CEST`` — wall time and abbreviation in ``zone``."""
    return local(moment, zone).strftime("%Y-%m-%d %H:%M %Z")


def show_duration(delta: timedelta) -> str:
    """``2d 03h 15m`` (minutes rounded down); negative durations are shown by their size."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours:02d}h {mins:02d}m" if days else f"{hours}h {mins:02d}m"


def state(due_at: datetime, done_at: datetime | None, now: datetime) -> str:
    """``met`` / ``met late`` once done; ``running`` / ``overdue`` while not."""
    if done_at is not None:
        return "met" if as_utc(done_at) <= as_utc(due_at) else "met late"
    return "running" if as_utc(now) <= as_utc(due_at) else "overdue"
