"""The check interface: a check has a ``CheckInfo`` (id, severity, title, pattern, remediation,
references) and yields findings from the scan context. ``ResourceCheck`` covers the usual case of
looking at each resource of some types on its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from ..context import ScanContext
from ..model import CheckInfo, Finding, Severity
from ..resources import Resource

#: Regulation references shared by many checks.
GDPR_32 = "GDPR Art. 32 (security of processing)"
GDPR_5F = "GDPR Art. 5(1)(f) (integrity and confidentiality)"
GDPR_25 = "GDPR Art. 25 (data protection by design and by default)"
AI_ACT_10 = "EU AI Act Art. 10 (data and data governance)"
AI_ACT_15 = "EU AI Act Art. 15 (accuracy, robustness and cybersecurity)"
AI_ACT_12 = "EU AI Act Art. 12 (record-keeping)"
NIST_MAP_4_1 = "NIST AI RMF MAP 4.1"
NIST_MANAGE_2_3 = "NIST AI RMF MANAGE 2.3"
NIST_MANAGE_4_1 = "NIST AI RMF MANAGE 4.1"
NIST_MEASURE_2_7 = "NIST AI RMF MEASURE 2.7"
NIST_GOVERN_1_6 = "NIST AI RMF GOVERN 1.6"
NIST_MAP_3_4 = "NIST AI RMF MAP 3.4"


@dataclass(frozen=True)
class Hit:
    """One failure on a resource: the message, a key telling several apart, a severity other than the
    check's default (e.g. raised because the resource holds synthetic data)."""

    message: str
    key: str = ""
    severity: Severity | None = None


class Check(ABC):
    info: ClassVar[CheckInfo]

    @abstractmethod
    def run(self, ctx: ScanContext) -> Iterable[Finding]:
        """Every finding of this check in the scan."""


class ResourceCheck(Check):
    """A check that judges each resource of ``types`` on its own (with the context for references)."""

    types: ClassVar[tuple[str, ...]]

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for resource in ctx.of_type(*self.types):
            for item in self.evaluate(resource, ctx):
                hit = Hit(item) if isinstance(item, str) else item
                yield Finding.of(self.info, hit.message, file=resource.file, line=resource.line,
                                 resource=resource.name, key=hit.key, severity=hit.severity)

    @abstractmethod
    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterable[str | Hit]:
        """A message, or a ``Hit``, per failure of ``resource``."""
