"""Table output (Rich): findings by severity, then suppressed findings and notes, then a summary line."""

from __future__ import annotations

import io
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..model import ScanResult, Severity
from .interface import OutputWriter

_STYLES = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan",
           Severity.INFO: "dim"}


class TableWriter(OutputWriter):
    name: ClassVar[str] = "table"
    media_type: ClassVar[str] = "text/plain"

    def renderable(self, result: ScanResult) -> RenderableType:
        parts: list[RenderableType] = []
        if result.findings:
            table = Table(show_lines=False, header_style="bold", expand=False)
            for column in ("severity", "check", "location", "resource", "finding"):
                table.add_column(column, overflow="fold")
            for f in result.findings:
                where = f"{f.file}:{f.line}" if f.line else f.file
                table.add_row(Text(f.severity.value, style=_STYLES[f.severity]), f.check_id, where, f.resource,
                              f"{f.message}\nfix: {f.remediation}")
            parts.append(table)
        for s in result.suppressed:
            parts.append(Text(f"suppressed {s.finding.check_id} {s.finding.file} {s.finding.resource} "
                              f"until {s.expires}: {s.reason}", style="dim"))
        for note in result.notes:
            parts.append(Text(f"note: {note.file + ': ' if note.file else ''}{note.message}", style="dim"))
        counts = ", ".join(f"{n} {sev}" for sev, n in reversed(result.counts().items()) if n) or "no findings"
        parts.append(Text(f"{len(result.findings)} finding(s) ({counts}) in {result.files_scanned} file(s), "
                          f"{result.resources} resource(s), {result.seconds:.2f}s"
                          + (f"; {len(result.suppressed)} suppressed by baseline" if result.suppressed else "")))
        return Group(*parts)

    def render(self, result: ScanResult, width: int = 160) -> str:
        buffer = io.StringIO()
        Console(file=buffer, width=width, color_system=None, highlight=False, soft_wrap=False).print(
            self.renderable(result))
        return buffer.getvalue()
