"""The output-format interface: render a site's scan report as bytes (JSON, SARIF, HTML …)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..report import SiteReport


class Output(ABC):
    name: str
    suffix: str

    @abstractmethod
    def render(self, report: SiteReport) -> bytes:
        """The whole document for ``report``."""
