"""The JSON report: the summary, every page with its items and gaps, and what was skipped."""

from __future__ import annotations

import json

from ..report import SiteReport
from .interface import Output


class JsonOutput(Output):
    name = "json"
    suffix = ".json"

    def render(self, report: SiteReport) -> bytes:
        return (json.dumps(report.to_json(), indent=2, sort_keys=True, default=str) + "\n").encode()
