"""Report formats, registered in one place: adding a format is adding one module and one line here."""

from __future__ import annotations

from ...errors import InputError
from .html import HtmlOutput
from .interface import Output
from .json import JsonOutput
from .sarif import SarifOutput

OUTPUTS: dict[str, Output] = {o.name: o for o in (JsonOutput(), SarifOutput(), HtmlOutput())}


def output_for(name: str) -> Output:
    try:
        return OUTPUTS[name]
    except KeyError:
        raise InputError(f"unknown report format {name!r} (one of: {', '.join(OUTPUTS)})", field="format") from None


__all__ = ["OUTPUTS", "Output", "output_for"]
