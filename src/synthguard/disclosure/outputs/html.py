"""The HTML report, rendered from a Jinja2 template (autoescaped; no script, one inline stylesheet)."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from .. import vocabulary as v
from ..report import SiteReport
from .interface import Output

_ENV = Environment(loader=PackageLoader("synthguard.disclosure", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


class HtmlOutput(Output):
    name = "html"
    suffix = ".html"

    def render(self, report: SiteReport) -> bytes:
        template = _ENV.get_template("report.html.j2")
        return template.render(report=report, summary=report.summary(), checks=v.CHECKS,
                               generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")).encode()
