"""The output-writer interface: render a whole ``ScanResult`` as one document (text, JSON, SARIF,
JUnit XML). Writers are pure: the caller decides where the text goes (stdout or an atomic file)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib import metadata
from typing import ClassVar

from ..model import ScanResult


class OutputWriter(ABC):
    #: The name users pick the format by (``synthguard scan --format NAME``).
    name: ClassVar[str]
    media_type: ClassVar[str]

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """The whole report, ending with a newline."""


def tool_version() -> str:
    try:
        return metadata.version("synthguard")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0"
