"""The SIEM exporter interface and what every format shares: event time, product version, severity.

An exporter turns audit events into lines of one wire format (JSON Lines, CEF, OCSF). Lines carry
no terminator; the caller writes ``"\\n"`` after each, which keeps exporters usable for files,
HTTP bodies and syslog alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from importlib import metadata
from typing import ClassVar

from ...models import AuditEvent

PRODUCT = "SynthGuard"
VENDOR = "SynthGuard"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Exporter(ABC):
    """Renders audit events as one line each in a SIEM format."""

    #: The name users pick the format by (``synthguard audit export --format NAME``).
    name: ClassVar[str]
    #: The media type of the rendered stream, for files and HTTP.
    media_type: ClassVar[str]

    def render(self, events: Iterable[AuditEvent]) -> Iterator[str]:
        """One line per event, in order, without line terminators; lazy, so logs can stream."""
        for event in events:
            yield self.render_event(event)

    @abstractmethod
    def render_event(self, event: AuditEvent) -> str:
        """The single line representing ``event``; it never contains CR or LF."""


class Severity(IntEnum):
    """How much attention an event deserves; values are OCSF ``severity_id`` numbers."""

    INFORMATIONAL = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4


_OUTCOME_SEVERITY = {
    "success": Severity.INFORMATIONAL,
    "failure": Severity.MEDIUM,
    # A refusal means someone tried what policy forbids: the event an analyst must see first.
    "denied": Severity.HIGH,
}


def severity_of(outcome: str) -> Severity:
    """The severity of an event with this outcome; outcomes SynthGuard does not know rank LOW."""
    return _OUTCOME_SEVERITY.get(outcome.lower(), Severity.LOW)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch; naive times are UTC (that is how the store keeps them)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    # Integer division of timedeltas avoids float rounding on far-future or sub-ms timestamps.
    return (aware - _EPOCH) // timedelta(milliseconds=1)


def product_version() -> str:
    """The installed SynthGuard version, as SIEM headers report it."""
    try:
        return metadata.version("synthguard")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0"
