"""The parser interfaces: a file parser turns one text file into resources; a document parser
recognises one JSON / YAML document shape (an ARM template, a Graph export …) and reads it.

A file that cannot be parsed raises ``ParseFailure`` with the line, and the runner turns that into
an ``SG-PARSE-001`` finding and goes on with the next file.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..resources import Resource


@dataclass(frozen=True)
class SourceFile:
    """A decoded text file: where it is, the name findings use for it, and its text."""

    path: Path
    display: str
    text: str

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, max(offset, 0)) + 1

    def locate(self, key: str, value: Any, after: int = 0) -> tuple[int | None, int]:
        """The line of ``"key": value`` (JSON) at or after ``after``, and the offset to search on from.

        The standard JSON decoder keeps no positions; resources are found again in the text by their
        name, which is what a person looks for too. Unknown → ``(None, after)``.
        """
        if not isinstance(value, str | int | float | bool):
            return None, after
        literal = json.dumps(value)
        pattern = re.compile(rf'"{re.escape(key)}"\s*:\s*{re.escape(literal)}')
        match = pattern.search(self.text, after) or pattern.search(self.text)
        if match is None:
            return None, after
        return self.line_at(match.start()), match.end()


class ParseFailure(Exception):
    """The file is malformed; ``line`` is 1-based when the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class SkipFile(Exception):
    """The file is of a kind the scan does not read as-is (a Helm template); ``str()`` says why."""


class Parser(ABC):
    """Reads one kind of file (by extension or content)."""

    name: ClassVar[str]

    @abstractmethod
    def accepts(self, source: SourceFile) -> bool:
        """Cheap: does this parser read this file (usually by its extension)?"""

    @abstractmethod
    def parse(self, source: SourceFile) -> list[Resource]:
        """The resources in the file; raises ``ParseFailure`` when it is malformed."""


class DocumentParser(ABC):
    """Recognises and reads one shape of decoded JSON / YAML document."""

    name: ClassVar[str]

    @abstractmethod
    def accepts(self, document: Any) -> bool:
        """Is ``document`` (a decoded JSON / YAML value) of this shape?"""

    @abstractmethod
    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        """The resources ``document`` describes; ``line`` is where the document starts, when known."""


def items_of(document: Any) -> Iterable[Mapping[str, Any]]:
    """Exports come as one object, a list, or a Graph / REST page ``{"value": [...]}``."""
    if isinstance(document, Mapping):
        value = document.get("value")
        if isinstance(value, list) and set(document) <= {"value", "count", "@odata.context", "@odata.nextLink"}:
            return [v for v in value if isinstance(v, Mapping)]
        return [document]
    if isinstance(document, list):
        return [v for v in document if isinstance(v, Mapping)]
    return []
