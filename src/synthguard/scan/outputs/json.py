"""JSON output: the ``ScanResult`` as one JSON document (summary, findings, suppressed, notes, checks)."""

from __future__ import annotations

import json
from typing import ClassVar

from ..model import ScanResult
from .interface import OutputWriter, tool_version


class JsonWriter(OutputWriter):
    name: ClassVar[str] = "json"
    media_type: ClassVar[str] = "application/json"

    def render(self, result: ScanResult) -> str:
        document = {"tool": {"name": "synthguard", "version": tool_version()}, **result.to_json(),
                    "checks": [c.to_json() for c in result.checks]}
        return json.dumps(document, indent=2, sort_keys=False) + "\n"
